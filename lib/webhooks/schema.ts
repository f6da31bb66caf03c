import { z } from "zod";
import { labelMapSchema } from "@/lib/alerts/types";

/**
 * Alertmanager's webhook body, version 4 (wire-facts §1.1). Unknown and newer fields are tolerated
 * (objects are not strict); Grafana's version "1" payload has the same alert shape and is accepted too.
 */
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/i;
// Checked here, not later: a time the store cannot read would fail the job after the 2xx, and Alertmanager does not resend.
const timeString = z
  .string()
  .max(64)
  .refine((t) => RFC3339.test(t) && !Number.isNaN(Date.parse(t)), "must be an RFC 3339 time such as 2026-11-20T09:58:03.157Z");

export const webhookAlertSchema = z.object({
  status: z.enum(["firing", "resolved"]),
  labels: labelMapSchema,
  annotations: labelMapSchema.default({}),
  startsAt: timeString,
  endsAt: timeString.optional(),
  generatorURL: z.string().max(4096).optional(),
  fingerprint: z.string().min(1).max(128).regex(/^[A-Za-z0-9_-]+$/, "fingerprint must be hex or an identifier"),
});
export type WebhookAlert = z.infer<typeof webhookAlertSchema>;

/** The most alerts one notification may carry; Alertmanager's `max_alerts` keeps a group below it. */
export const MAX_WEBHOOK_ALERTS = 10_000;

/**
 * The envelope without its alerts' contents: validated as a whole (a body that is not a webhook is
 * refused), while each alert is validated on its own by validateWebhookAlert, so one bad alert does
 * not lose the others (Alertmanager never resends after a 4xx).
 */
export const webhookEnvelopeSchema = z.object({
  version: z.string().max(16),
  receiver: z.string().max(1024).optional(),
  status: z.enum(["firing", "resolved"]),
  alerts: z.array(z.unknown()).max(MAX_WEBHOOK_ALERTS),
  groupKey: z.string().max(8192).optional(),
  externalURL: z.string().max(4096).optional(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
});
export type WebhookEnvelope = z.infer<typeof webhookEnvelopeSchema>;

/** The fields of an alert a rejection's metric label may name; anything else is "alert". */
const ALERT_FIELDS = new Set(["status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"]);
const MAX_KEPT_LABELS = 32;

export interface RejectedWebhookAlert {
  /** Position in the notification's alerts array. */
  index: number;
  /** What was wrong, naming the field: "alerts.1.annotations.description: Too big: …". */
  reason: string;
  /** A bounded metric label: the field and zod's issue code, e.g. "annotations:too_big". */
  reasonCode: string;
  fingerprint?: string;
  /** The alert's labels as far as they are strings, at most 32, each name and value cut to 128 and 256 characters. */
  labels: Record<string, string>;
}

export type AlertCheck = { ok: true; alert: WebhookAlert } | { ok: false; rejected: RejectedWebhookAlert };

/** Validate one alert of a notification; a rejection says why and keeps what identifies the alert. */
export function validateWebhookAlert(raw: unknown, index: number): AlertCheck {
  const r = webhookAlertSchema.safeParse(raw);
  if (r.success) return { ok: true, alert: r.data };
  const first = r.error.issues[0];
  const path = first?.path.map(String) ?? [];
  const field = path[0] !== undefined && ALERT_FIELDS.has(path[0]) ? path[0] : "alert";
  const where = ["alerts", String(index), ...path].join(".").slice(0, 300);
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : "";
  return {
    ok: false,
    rejected: {
      index,
      reason: `${where}: ${first?.message ?? "wrong shape"}${more}`.slice(0, 512),
      reasonCode: `${field}:${first?.code ?? "invalid"}`,
      fingerprint: identify(raw, "fingerprint", 128),
      labels: keptLabels(raw),
    },
  };
}

function identify(raw: unknown, key: string, max: number): string | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const v: unknown = Reflect.get(raw, key);
  return typeof v === "string" && v.length > 0 ? v.slice(0, max) : undefined;
}

function keptLabels(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof raw !== "object" || raw === null) return out;
  const labels: unknown = Reflect.get(raw, "labels");
  if (typeof labels !== "object" || labels === null || Array.isArray(labels)) return out;
  let n = 0;
  for (const [k, v] of Object.entries(labels)) {
    if (typeof v !== "string") continue;
    if (++n > MAX_KEPT_LABELS) break;
    out[k.slice(0, 128)] = v.length > 256 ? `${v.slice(0, 255)}…` : v;
  }
  return out;
}

/** Alertmanager zeroes endsAt on firing alerts; treat that as "no end". */
export function isZeroTime(t: string | undefined): boolean {
  return !t || t.startsWith("0001-01-01");
}
