import { z } from "zod";
import { alertSchema } from "@/lib/alerts/types";

/** The `GET /api/alerts` response body (the route's tests check it whole). */
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

/** Who silenced an alert and until when: the list shows "acknowledged by … until …" for an ACK silence. */
export const silenceSummarySchema = z.object({ createdBy: z.string(), endsAt: z.string(), comment: z.string(), ack: z.boolean() });
export type SilenceSummary = z.infer<typeof silenceSummarySchema>;

export const alertListResponseSchema = z.object({
  alerts: z.array(alertSchema),
  errors: z.array(sourceErrorSchema),
  demo: z.boolean(),
  /** Latest analysis per fingerprint, for the alerts that have one. */
  analyses: z.record(z.string(), alertAnalysisSchema).default({}),
  /** The silences the listed alerts' `silencedBy` name, by id (from the same Alertmanagers, cached alike); absent when none. */
  silences: z.record(z.string(), silenceSummarySchema).optional(),
  /** Per alert source, the base URL of its Alertmanager UI as a browser reaches it (ALERTMANAGER_PUBLIC_URL); absent when none is configured. */
  alertmanagerUrls: z.record(z.string(), z.string()).optional(),
});
export type AlertListResponse = z.infer<typeof alertListResponseSchema>;

const alertListEnvelopeSchema = alertListResponseSchema.extend({ alerts: z.array(z.unknown()) });

/**
 * What the browser checks of that body. The server built every alert from zod-validated Alertmanager
 * data, and re-validating 10,000 of them costs about half a second in Chromium here; the envelope and
 * a sample of alerts are enough to catch a page left open across an upgrade (a changed shape changes
 * every alert alike).
 * @returns the body, or undefined when it does not have this version's shape
 */
export function readAlertListResponse(body: unknown): AlertListResponse | undefined {
  const envelope = alertListEnvelopeSchema.safeParse(body);
  if (!envelope.success) return undefined;
  const { alerts } = envelope.data;
  const sample = [alerts[0], alerts[Math.floor(alerts.length / 2)], alerts.at(-1)].filter((a) => a !== undefined);
  if (!sample.every((a) => alertSchema.safeParse(a).success)) return undefined;
  return envelope.data as AlertListResponse;
}

/** TanStack Query keys for alerts: invalidate `alertKeys.all` after anything that changes alerts. */
export const alertKeys = {
  all: ["alerts"] as const,
  list: (filter: string) => [...alertKeys.all, "list", filter] as const,
};

/** The browser's URL for one filtered list; the page preloads exactly this URL, so keep one builder. */
export function alertListUrl(filter: string): string {
  return filter.trim() ? `/api/alerts?${new URLSearchParams({ filter })}` : "/api/alerts";
}

/** One alert whose latest episode resolved (GET /api/alerts/resolved). */
export const resolvedAlertSchema = z.object({
  fingerprint: z.string(),
  startsAt: z.string(),
  status: z.literal("resolved"),
  endsAt: z.string().optional(),
  receivedAt: z.string(),
  labels: z.record(z.string(), z.string()),
});
export type ResolvedAlert = z.infer<typeof resolvedAlertSchema>;

export const resolvedAlertsResponseSchema = z.object({ resolved: z.array(resolvedAlertSchema) });
export type ResolvedAlertsResponse = z.infer<typeof resolvedAlertsResponseSchema>;

/** The URL of the alerts whose latest episode resolved within `hours` hours (from the webhook's history). */
export function resolvedAlertsUrl(hours: number): string {
  return `/api/alerts/resolved?hours=${hours}`;
}
