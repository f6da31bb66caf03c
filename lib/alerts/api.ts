import { z } from "zod";
import { alertSchema } from "@/lib/alerts/types";

/** The `GET /api/alerts` response body; the browser validates it with this schema too. */
export const sourceErrorSchema = z.object({ source: z.string(), message: z.string(), hint: z.string().optional() });

/** Per alert, what the list shows of its latest analysis (queued, running, done or failed). */
export const alertAnalysisSchema = z.object({
  id: z.string(),
  status: z.string(),
  topHypothesis: z.string().optional(),
  issueUrl: z.string().optional(),
  issueNumber: z.number().optional(),
  resolved: z.boolean().optional(),
});

export const alertListResponseSchema = z.object({
  alerts: z.array(alertSchema),
  errors: z.array(sourceErrorSchema),
  demo: z.boolean(),
  /** Latest analysis per fingerprint, for the alerts that have one. */
  analyses: z.record(z.string(), alertAnalysisSchema).default({}),
});
export type AlertListResponse = z.infer<typeof alertListResponseSchema>;

/** TanStack Query keys for alerts: invalidate `alertKeys.all` after anything that changes alerts. */
export const alertKeys = {
  all: ["alerts"] as const,
  list: (filter: string) => [...alertKeys.all, "list", filter] as const,
};

/** The browser's URL for one filtered list; the page preloads exactly this URL, so keep one builder. */
export function alertListUrl(filter: string): string {
  return filter.trim() ? `/api/alerts?${new URLSearchParams({ filter })}` : "/api/alerts";
}
