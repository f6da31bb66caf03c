import { z } from "zod";
import { analysisSchema, analysisStatusSchema, searchHitSchema, type Analysis } from "@/lib/store/models";
import { request } from "@/lib/api-client";
import { similarIncidentsResponseSchema, type SimilarIncidentsResponse } from "@/lib/analysis/similar";
import { feedbackBadgeSchema } from "@/lib/feedback/types";

/**
 * The analyses API as the browser sees it: response schemas and types shared by the route handlers
 * (app/api/analyses) and the hooks (components/analysis), query keys, the calls, and the events of the
 * progress stream. Browser-safe: the store's models are zod schemas only.
 */
export type { Analysis, AnalysisSummary, AnalysisStatus, SearchHit } from "@/lib/store/models";
export type { Report, Hypothesis, ReportEvidence } from "@/lib/analysis/types";
export type { EvidenceBundle } from "@/lib/cluster/bundle";
export type { SimilarIncident, SimilarIncidentsResponse } from "@/lib/analysis/similar";

export const stepNameSchema = z.enum(["pod", "logs", "previousLogs", "events", "ownerEvents", "workload", "siblings", "node", "hpa", "metrics", "redact", "signals", "reduce", "gemini", "report"]);
export type StepName = z.infer<typeof stepNameSchema>;
export const stepStatusSchema = z.enum(["started", "done", "failed", "skipped", "progress"]);
export type StepStatus = z.infer<typeof stepStatusSchema>;

/** The first hypothesis Gemini streamed, before the report is grounded; a malformed one is dropped, not fatal. */
const streamedHypothesisSchema = z.object({ title: z.string().max(300), likelihood: z.string().max(20), category: z.string().max(40).optional(), explanation: z.string().max(600).optional() });
export type StreamedHypothesisView = z.infer<typeof streamedHypothesisSchema>;

const stepProgressSchema = z.object({ status: stepStatusSchema, detail: z.string().optional(), hypothesis: streamedHypothesisSchema.optional().catch(undefined) });

/** The progress column of an analysis: the latest status of each step. */
export type ProgressMap = Partial<Record<StepName, z.infer<typeof stepProgressSchema>>>;

/** A progress map as sent; steps or statuses this page does not know are left out rather than failing it. */
export const progressMapSchema = z.record(z.string(), z.unknown()).transform((raw) => {
  const out: ProgressMap = {};
  for (const step of stepNameSchema.options) {
    const p = stepProgressSchema.safeParse(raw[step]);
    if (p.success) out[step] = p.data;
  }
  return out;
});

export const STEP_LABELS: Record<StepName, string> = {
  pod: "Pod status",
  logs: "Logs",
  previousLogs: "Previous container logs",
  events: "Events",
  ownerEvents: "Owner events",
  workload: "Owner and revisions",
  siblings: "Sibling pods",
  node: "Node",
  hpa: "Autoscaler",
  metrics: "Metrics",
  redact: "Redact secrets",
  signals: "Offline signals",
  reduce: "Condense logs",
  gemini: "Gemini",
  report: "Report",
};

/** `GET /api/analyses/:id` (and the `done` event's analysis). */
export const analysisResponseSchema = analysisSchema;

/**
 * `GET /api/analyses`: a page of summaries, newest first; with `q`, best match first, each with the
 * snippet where the words matched, and `terms` (the words searched for, as understood). Each carries its
 * latest feedback's verdict when it has one.
 */
export const analysisListResponseSchema = z.object({
  analyses: z.array(searchHitSchema.extend({ feedback: feedbackBadgeSchema.optional() })),
  nextCursor: z.string().optional(),
  terms: z.array(z.string()).optional(),
});
export type AnalysisListResponse = z.infer<typeof analysisListResponseSchema>;

/** `POST /api/analyses`: the analysis started, or the running one joined. */
export const startAnalysisResponseSchema = z.object({ id: z.string(), joined: z.boolean() });
export type StartAnalysisResponse = z.infer<typeof startAnalysisResponseSchema>;

export interface StartAnalysisRequest {
  fingerprint?: string;
  target?: Record<string, string | undefined>;
}

/* ---------- the progress stream: GET /api/analyses/:id/events (text/event-stream) ---------- */

/** The named events of the progress stream and their data. */
export const progressStreamEvents = {
  /** The latest progress; the first event repeats the stored progress. */
  progress: progressMapSchema,
  /** queued ↔ running as the store sees it (a requeued analysis waits again). */
  status: z.object({ status: analysisStatusSchema }),
  /** The end: the finished analysis, as GET /api/analyses/:id returns it, when it could be read. */
  done: z.object({ status: z.string(), analysis: analysisResponseSchema.optional() }),
  /** The server is shutting down: reconnect (after the `retry:` it sent) to follow the analysis. */
  reconnect: z.object({ reason: z.string() }),
} as const;
export type ProgressStreamEvent = keyof typeof progressStreamEvents;
export type ProgressStreamData<E extends ProgressStreamEvent> = z.input<(typeof progressStreamEvents)[E]>;

/** The data of one stream event read with its schema, or undefined when it is not what this page expects. */
export function readStreamEvent<S extends z.ZodType>(schema: S, data: string): z.output<S> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return undefined;
  }
  const r = schema.safeParse(v);
  return r.success ? r.data : undefined;
}

export function progressStreamUrl(id: string): string {
  return `/api/analyses/${encodeURIComponent(id)}/events`;
}

/* ---------- queries ---------- */

/** TanStack Query keys for analyses: invalidate `analysisKeys.all` after anything that changes one. */
export const analysisKeys = {
  all: ["analyses"] as const,
  list: (filter: Record<string, string | undefined>) => ["analyses", "list", filter] as const,
  detail: (id: string) => ["analyses", "detail", id] as const,
  latest: (fingerprint: string) => ["analyses", "latest", fingerprint] as const,
  preview: (id: string) => ["analyses", "issue-preview", id] as const,
};

export function isActive(a: Pick<Analysis, "status">): boolean {
  return a.status === "queued" || a.status === "running";
}

/** @throws ApiError (lib/api-client) */
export function fetchAnalysis(id: string, signal?: AbortSignal): Promise<Analysis> {
  return request(`/api/analyses/${encodeURIComponent(id)}`, analysisResponseSchema, { signal });
}

/** @throws ApiError (lib/api-client) */
export function fetchAnalyses(filter: Record<string, string | undefined>, signal?: AbortSignal): Promise<AnalysisListResponse> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
  return request(`/api/analyses?${q}`, analysisListResponseSchema, { signal });
}

/** @throws ApiError (lib/api-client) */
export function startAnalysis(body: StartAnalysisRequest): Promise<StartAnalysisResponse> {
  return request("/api/analyses", startAnalysisResponseSchema, { json: body });
}

/** Query keys of the "Seen before" panel. */
export const similarKeys = {
  all: ["similar"] as const,
  of: (analysisId: string) => ["similar", analysisId] as const,
};

/** @throws ApiError (lib/api-client) */
export function fetchSimilarIncidents(analysisId: string, signal?: AbortSignal): Promise<SimilarIncidentsResponse> {
  return request(`/api/analyses/${encodeURIComponent(analysisId)}/similar`, similarIncidentsResponseSchema, { signal });
}
