import { z } from "zod";
import { alertSchema } from "@/lib/alerts/types";

/** The `GET /api/alerts` response body; the browser validates it with this schema too. */
export const sourceErrorSchema = z.object({ source: z.string(), message: z.string(), hint: z.string().optional() });

export const alertListResponseSchema = z.object({
  alerts: z.array(alertSchema),
  errors: z.array(sourceErrorSchema),
  demo: z.boolean(),
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
