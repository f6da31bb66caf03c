import type { Logger } from "pino";
import { targetFromLabels } from "@/lib/alerts/types";
import { snapshotFromAlert } from "@/lib/alerts/snapshot";
import type { Config } from "@/lib/config";
import type { TypedNewJob } from "@/lib/jobs/kinds";
import type { JobQueue } from "@/lib/jobs/queue";
import { getMetrics } from "@/lib/metrics";
import type { Store } from "@/lib/store";
import { decide, type AlertDecision } from "@/lib/webhooks/policy";
import { validateWebhookAlert, type RejectedWebhookAlert, type WebhookAlert, type WebhookEnvelope } from "@/lib/webhooks/schema";
import { createAnalyses, uuidFromKey, type NewAnalysisWithJob } from "@/lib/triage/create-analysis";
import { enqueueDispatches } from "@/lib/triage/dispatch-workflow";

export interface IntakeWebhookDeps {
  store: Pick<Store, "latestAnalysesFor" | "fingerprintsWithHistory" | "enqueueAnalyses" | "findJobsByDedupKeys" | "recordRejectedAlerts" | "recordAlertHistory">;
  queue: Pick<JobQueue, "enqueueMany" | "kick">;
  config: { policy: Config["policy"]; webhook: Pick<Config["webhook"], "mode"> };
  log: Pick<Logger, "warn">;
}

export interface WebhookOutcome {
  queued: number;
  duplicates: number;
  resolved: number;
  skipped: { fingerprint: string; reason: string }[];
  /** Alerts refused one by one; the rest of the notification was taken. */
  rejected: RejectedWebhookAlert[];
}

/** Alerts validated and written per slice; between slices the event loop serves other requests. */
export const WEBHOOK_SLICE = 500;
/** Rejections of one notification recorded in the store (all are counted in metrics). */
const MAX_RECORDED_REJECTIONS = 1000;
/** Rejected webhook alerts the store keeps, newest first (the queue panel lists them). */
export const REJECTED_ALERTS_KEPT = 1000;

/** Let timers, sockets and other requests run: better-sqlite3 and zod never give the event loop a turn on their own. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A firing alert the webhook policy selected, with the policy's decision (made once per alert). */
interface Selected {
  alert: WebhookAlert;
  decision: AlertDecision;
}

/**
 * Turn a webhook notification into durable jobs, per alert (not by the group's status). Each alert is
 * validated on its own: a bad one is recorded with its reason (queue panel, metrics) and the others are
 * stored. Big notifications go in slices of WEBHOOK_SLICE alerts, each slice's writes in one
 * transaction, yielding to the event loop between slices. A firing episode (fingerprint + startsAt) is
 * analyzed once; a repeat notification of the same episode is analyzed again only after
 * ANALYSIS_COOLDOWN_SECONDS; a new episode always is. Never analyzes inline.
 * @throws what the store throws (the webhook answers 5xx and Alertmanager resends; dedup keys absorb it).
 */
export async function intakeWebhook(d: IntakeWebhookDeps, envelope: WebhookEnvelope, requestId?: string): Promise<WebhookOutcome> {
  const out: WebhookOutcome = { queued: 0, duplicates: 0, resolved: 0, skipped: [], rejected: [] };
  const now = Date.now();
  for (let i = 0; i < envelope.alerts.length; i += WEBHOOK_SLICE) {
    if (i > 0) await yieldToEventLoop();
    await intakeSlice(d, envelope.alerts.slice(i, i + WEBHOOK_SLICE), i, now, out, requestId);
  }
  if (out.rejected.length) {
    const m = getMetrics();
    for (const r of out.rejected) m.webhookAlertsRejected.inc({ reason: r.reasonCode });
    await d.store.recordRejectedAlerts(
      out.rejected.slice(0, MAX_RECORDED_REJECTIONS).map((r) => ({ receiver: envelope.receiver, requestId, fingerprint: r.fingerprint, labels: r.labels, reason: r.reason })),
      REJECTED_ALERTS_KEPT,
    );
    d.log.warn({ event: "webhook.rejected", requestId, receiver: envelope.receiver, rejected: out.rejected.length, first: out.rejected[0]?.reason }, "webhook alerts rejected");
  }
  if (out.queued || out.resolved) d.queue.kick();
  return out;
}

async function intakeSlice(d: IntakeWebhookDeps, raw: readonly unknown[], offset: number, now: number, out: WebhookOutcome, requestId?: string): Promise<void> {
  const resolved: WebhookAlert[] = [];
  const firing: Selected[] = [];
  const valid: WebhookAlert[] = [];
  for (const [k, item] of raw.entries()) {
    const checked = validateWebhookAlert(item, offset + k);
    if (!checked.ok) {
      out.rejected.push(checked.rejected);
      continue;
    }
    const alert = checked.alert;
    valid.push(alert);
    if (alert.status === "resolved") {
      resolved.push(alert);
      continue;
    }
    const decision = decide(alert, d.config.policy);
    if (decision.analyze) firing.push({ alert, decision });
    else out.skipped.push({ fingerprint: alert.fingerprint, reason: decision.reason ?? "policy" });
  }
  // History first, one transaction per slice: every valid notification, whatever the policy decides.
  await d.store.recordAlertHistory(
    valid.map((a) => ({ fingerprint: a.fingerprint, startsAt: a.startsAt, status: a.status, endsAt: a.endsAt, labels: a.labels })),
  );
  await intakeResolved(d, resolved, now, out);

  if (d.config.webhook.mode === "dispatch") {
    // The workflow analyzes in GitHub Actions: one dispatch per firing episode instead of an analysis.
    const r = await enqueueDispatches(d, firing.map((f) => f.alert), now, requestId);
    out.queued += r.queued;
    out.duplicates += r.duplicates;
    return;
  }
  await intakeFiring(d, firing, now, out, requestId);
}

/** One analysis per firing episode and cooldown window; a redelivery maps to the same analysis id and is a duplicate. */
async function intakeFiring(d: IntakeWebhookDeps, firing: readonly Selected[], now: number, out: WebhookOutcome, requestId?: string): Promise<void> {
  const cooldownMs = d.config.policy.cooldownSeconds * 1000;
  const latest = cooldownMs > 0 && firing.length ? await d.store.latestAnalysesFor(firing.map((f) => f.alert.fingerprint)) : new Map<string, { episode?: string; createdAt: string }>();
  const items: NewAnalysisWithJob[] = [];
  for (const { alert, decision } of firing) {
    const episode = new Date(alert.startsAt).toISOString();
    let key = `webhook:${alert.fingerprint}:${alert.startsAt}`;
    if (cooldownMs > 0) {
      const last = latest.get(alert.fingerprint);
      if (last?.episode === episode && now - Date.parse(last.createdAt) < cooldownMs) {
        out.duplicates++;
        continue;
      }
      // Past the cooldown a still-firing episode is analyzed afresh; within one window a redelivery maps to the same key.
      key += `:${Math.floor(now / cooldownMs)}`;
    }
    const snapshot = snapshotFromAlert(alert);
    items.push({
      id: uuidFromKey(key),
      dedupKey: key,
      seed: { fingerprint: alert.fingerprint, alert: snapshot, target: targetFromLabels(alert.labels), trigger: "webhook", startedBy: "alertmanager" },
      job: { file: decision.file, alert: { ...snapshot, fingerprint: alert.fingerprint, startsAt: alert.startsAt }, requestId },
    });
  }
  const created = await createAnalyses(d.store, items);
  out.queued += created.size;
  out.duplicates += items.length - created.size;
}

/**
 * A resolve job only for alerts the console knows (an analysis or an issue): resolving any other has
 * nothing to mark, comment or close, and a storm of 10,000 resolutions would otherwise be 10,000 jobs.
 * Every valid resolution counts as resolved; a repeat of a known one is a duplicate (its job exists).
 */
async function intakeResolved(d: IntakeWebhookDeps, resolved: readonly WebhookAlert[], now: number, out: WebhookOutcome): Promise<void> {
  if (!resolved.length) return;
  const known = await d.store.fingerprintsWithHistory(resolved.map((a) => a.fingerprint));
  const jobs: TypedNewJob[] = resolved
    .filter((a) => known.has(a.fingerprint))
    .map((alert) => ({
      kind: "resolve",
      dedupKey: `resolve:${alert.fingerprint}:${alert.startsAt}`,
      maxAttempts: 20,
      payload: { fingerprint: alert.fingerprint, endsAt: alert.endsAt ?? new Date(now).toISOString() },
    }));
  const created = await d.queue.enqueueMany(jobs);
  out.resolved += resolved.length - jobs.length + created.size;
  out.duplicates += jobs.length - created.size;
}
