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

export const webhookPayloadSchema = z.object({
  version: z.string().max(16),
  receiver: z.string().max(1024).optional(),
  status: z.enum(["firing", "resolved"]),
  alerts: z.array(webhookAlertSchema).max(10_000),
  groupKey: z.string().max(8192).optional(),
  externalURL: z.string().max(4096).optional(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
});
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/** Alertmanager zeroes endsAt on firing alerts; treat that as "no end". */
export function isZeroTime(t: string | undefined): boolean {
  return !t || t.startsWith("0001-01-01");
}
