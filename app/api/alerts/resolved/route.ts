import { NextResponse } from "next/server";
import { z } from "zod";
import type { ResolvedAlertsResponse } from "@/lib/alerts/api";
import { getServices } from "@/lib/server/services";
import { parseWith, withRoute } from "@/lib/server/route";

export const dynamic = "force-dynamic";

const querySchema = z.object({ hours: z.coerce.number().int().min(1).max(24 * 90).optional() });

/** Alerts whose latest episode resolved within the last `hours` hours (default 24), newest first, from the webhook's history. */
export const GET = withRoute(async ({ req }) => {
  const q = parseWith(querySchema, Object.fromEntries(req.nextUrl.searchParams));
  const s = await getServices();
  const resolved = (await s.triage.recentlyResolved(q.hours ?? 24)).map((r) => ({ ...r, status: "resolved" as const }));
  return NextResponse.json({ resolved } satisfies ResolvedAlertsResponse, { headers: { "cache-control": "no-store" } });
});
