import { z } from "zod";
import { sourceErrorSchema, type SilenceSummary } from "@/lib/alerts/api";

export type { SilenceSummary };

/**
 * The console's silence shapes, shared by the route handlers and the browser (no server imports here):
 * what `/api/silences` answers, what it accepts, and the query keys.
 */

/** Karma's acknowledgement marker: a silence whose comment starts with this is shown as "acknowledged". */
export const ACK_PREFIX = "ACK! ";

export const matchOpSchema = z.enum(["=", "!=", "=~", "!~"]);

export const silenceMatcherSchema = z.object({ name: z.string(), op: matchOpSchema, value: z.string() });
export type SilenceMatcher = z.infer<typeof silenceMatcherSchema>;

/** One silence as the console shows it; an HA pair's copies of it (same id, gossiped) are one entry. */
export const silenceSchema = z.object({
  id: z.string(),
  matchers: z.array(silenceMatcherSchema),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
  state: z.enum(["active", "pending", "expired"]),
  /** The comment starts with ACK_PREFIX. */
  ack: z.boolean(),
  /** Every Alertmanager that reported it. */
  sources: z.array(z.string()),
});
export type Silence = z.infer<typeof silenceSchema>;

export const silenceListResponseSchema = z.object({
  silences: z.array(silenceSchema),
  errors: z.array(sourceErrorSchema),
  /** The configured Alertmanagers by name, so the page can show one that has no silences. */
  alertmanagers: z.array(z.string()),
});
export type SilenceListResponse = z.infer<typeof silenceListResponseSchema>;

/** POST /api/silences: a silence, or with `ack` an acknowledgement (ACK_DURATION_MINUTES unless a duration is given). */
export const createSilenceRequestSchema = z.object({
  // Checked field by field by validateSilenceInput, which says in words what is wrong.
  matchers: z.unknown().optional(),
  durationMinutes: z.unknown().optional(),
  comment: z.unknown().optional(),
  ack: z.boolean().optional(),
  /** The Alertmanagers holding the alerts being silenced (an alert's `sources`); all of them when absent. */
  sources: z.array(z.string().max(128)).max(50).optional(),
});
export type CreateSilenceRequest = z.infer<typeof createSilenceRequestSchema>;

export const createSilenceResponseSchema = z.object({
  /** One per Alertmanager cluster the silence went to (an HA pair counts once). */
  created: z.array(z.object({ id: z.string(), source: z.string() })),
  endsAt: z.string(),
  errors: z.array(sourceErrorSchema),
});
export type CreateSilenceResponse = z.infer<typeof createSilenceResponseSchema>;

/** TanStack Query keys for silences: invalidate `silenceKeys.all` (and the alert list) after a mutation. */
export const silenceKeys = {
  all: ["silences"] as const,
  list: () => [...silenceKeys.all, "list"] as const,
};

/** Equality matchers on the labels every given alert shares: an alert's own labels, or a group's common ones. */
export function prefillMatchers(labelSets: readonly Record<string, string>[]): SilenceMatcher[] {
  const [first, ...rest] = labelSets;
  if (!first) return [];
  return Object.entries(first)
    .filter(([k, v]) => v !== "" && rest.every((l) => l[k] === v))
    .sort(([a], [b]) => (a === "alertname" ? -1 : b === "alertname" ? 1 : a.localeCompare(b)))
    .map(([name, value]) => ({ name, op: "=", value }));
}
