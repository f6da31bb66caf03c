import { NextResponse } from "next/server";
import { z } from "zod";
import { targetSchema } from "@/lib/alerts/types";
import { analysisStatusSchema } from "@/lib/store/models";
import { getServices } from "@/lib/server/services";
import { parseWith, readJson, withRoute } from "@/lib/server/route";
import type { AnalysisListResponse, StartAnalysisResponse } from "@/lib/analysis/api";

export const dynamic = "force-dynamic";

const startSchema = z
  .object({
    fingerprint: z.string().min(1).max(128).optional(),
    target: targetSchema.extend({ alertname: z.string().max(256).optional() }).optional(),
    trigger: z.enum(["manual", "deeplink"]).optional(),
  })
  .refine((b) => b.fingerprint || b.target, { message: "give an alert fingerprint or a target (namespace and pod)" });

/** Start an analysis (or join the running one): 202 with its id. */
export const POST = withRoute(
  async ({ req, user, requestId }) => {
    const body = await readJson(req, startSchema, 64 * 1024);
    const s = await getServices();
    const r = await s.triage.startAnalysis({ fingerprint: body.fingerprint, target: body.target, user, trigger: body.trigger ?? "manual", requestId });
    return NextResponse.json(r satisfies StartAnalysisResponse, { status: 202, headers: { location: `/api/analyses/${r.id}` } });
  },
  { rateLimit: "analyze" },
);

const listSchema = z.object({
  /** Words to search for (lib/store/search.ts); with it the answer is best match first. */
  q: z.string().max(200).optional(),
  fingerprint: z.string().max(256).optional(),
  alertname: z.string().max(256).optional(),
  namespace: z.string().max(256).optional(),
  match: z.enum(["exact", "prefix"]).optional(),
  status: analysisStatusSchema.optional(),
  source: z.enum(["gemini", "offline"]).optional(),
  since: z.string().max(64).optional(),
  until: z.string().max(64).optional(),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/**
 * History of analyses, newest first, filterable by alert, namespace, status, source and time; with `q`,
 * a full-text search (best match first, each hit with a snippet) under the same filters.
 */
export const GET = withRoute(async ({ req }) => {
  const { q: text, fingerprint, ...filter } = parseWith(listSchema, Object.fromEntries(req.nextUrl.searchParams));
  const s = await getServices();
  const limit = filter.limit ?? 50;
  const found = text?.trim() && !fingerprint ? await s.store.searchAnalyses({ ...filter, q: text, limit }) : undefined;
  const page = found ?? (await s.store.listAnalyses({ ...filter, fingerprint, limit }));
  const feedback = await s.store.feedbackFor(page.items.map((a) => a.id));
  const analyses = page.items.map((a) => {
    const f = feedback.get(a.id);
    return f ? { ...a, feedback: { rank: f.rank, category: f.category, actor: f.actor, createdAt: f.createdAt } } : a;
  });
  const body: AnalysisListResponse = { analyses, nextCursor: page.nextCursor, terms: found?.terms };
  return NextResponse.json(body);
});
