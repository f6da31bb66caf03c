import "server-only";
import { z } from "zod";
import { targetFromLabels } from "@/lib/alerts/types";
import { AppError, describeError } from "@/lib/errors";
import { workflowInputs, workflowInputsSchema } from "@/lib/github/dispatch";
import type { DispatchesView } from "@/lib/jobs/api";
import type { Job, NewJob } from "@/lib/store";
import type { WebhookAlert } from "@/lib/webhooks/schema";
import type { Services } from "@/lib/server/services";

/**
 * WEBHOOK_MODE=dispatch: each firing alert the webhook policy selects becomes a durable `dispatch` job
 * that starts the GitHub workflow (GITHUB_WORKFLOW on GITHUB_WORKFLOW_REF), once per firing episode, with
 * the same cooldown windows as analyses. The job machinery retries 5xx and rate limits (honouring their
 * reset) and keeps a permanent failure with its reason.
 */

/** Attempts per dispatch: a few 5xx and rate-limit waits, well within an incident. */
export const DISPATCH_ATTEMPTS = 8;

const dispatchPayload = z.object({
  fingerprint: z.string().max(128),
  episode: z.string().max(64),
  inputs: workflowInputsSchema,
  requestId: z.string().max(128).optional(),
});
export type DispatchPayload = z.infer<typeof dispatchPayload>;

/** The dedup key of one episode's dispatch in one cooldown window (none when there is no cooldown). */
function dispatchKey(alert: WebhookAlert, window: number | undefined): string {
  const episode = new Date(alert.startsAt).toISOString();
  return `dispatch:${alert.fingerprint}:${episode}${window === undefined ? "" : `:${window}`}`;
}

/**
 * Queue one dispatch per firing episode among these alerts (already chosen by the webhook policy). A
 * redelivery maps to the same dedup key and is counted as a duplicate. With ANALYSIS_COOLDOWN_SECONDS a
 * still-firing episode is dispatched again once per cooldown: the key carries the window, and a dispatch
 * in the previous window younger than the cooldown still counts.
 * @throws what the store throws (the webhook answers 5xx and Alertmanager resends; dedup keys absorb it).
 */
export async function enqueueDispatches(s: Services, firing: readonly WebhookAlert[], now: number, requestId?: string): Promise<{ queued: number; duplicates: number }> {
  const cooldownMs = s.config.policy.cooldownSeconds * 1000;
  const window = cooldownMs > 0 ? Math.floor(now / cooldownMs) : undefined;
  const previous = window === undefined ? new Map<string, Job>() : await s.store.findJobsByDedupKeys(firing.map((a) => dispatchKey(a, window - 1)));
  let duplicates = 0;
  const jobs: NewJob[] = [];
  for (const alert of firing) {
    const target = targetFromLabels(alert.labels);
    if (!target) continue;
    const before = window === undefined ? undefined : previous.get(dispatchKey(alert, window - 1));
    if (before && now - Date.parse(before.createdAt) < cooldownMs) {
      duplicates++;
      continue;
    }
    const payload: DispatchPayload = {
      fingerprint: alert.fingerprint,
      episode: new Date(alert.startsAt).toISOString(),
      inputs: workflowInputs(alert.labels, target),
      requestId,
    };
    jobs.push({ kind: "dispatch", dedupKey: dispatchKey(alert, window), maxAttempts: DISPATCH_ATTEMPTS, payload });
  }
  const created = jobs.length ? await s.store.enqueueJobs(jobs) : new Set<string>();
  return { queued: created.size, duplicates: duplicates + jobs.length - created.size };
}

/**
 * Run one dispatch job: start the workflow and audit it.
 * @throws AppError unprocessable for a payload it cannot read, and the dispatcher's errors (permanent
 * ones fail the job at once; rate_limited and unavailable are retried by the worker).
 */
export async function runDispatchJob(s: Services, job: Job): Promise<void> {
  const parsed = dispatchPayload.safeParse(job.payload);
  if (!parsed.success) {
    throw new AppError("unprocessable", `Dispatch job ${job.id} has an unreadable payload: ${parsed.error.issues[0]?.message ?? "wrong shape"}.`, {
      hint: "It was written by another version of the console; the next notification of the alert queues a new one.",
    });
  }
  const p = parsed.data;
  const d = s.dispatcher;
  const log = s.log.child({ requestId: p.requestId ?? job.id, jobId: job.id, fingerprint: p.fingerprint });
  try {
    await d.dispatch(p.inputs);
  } catch (e) {
    log.warn({ event: "workflow.dispatch_failed", workflow: d.workflow, ref: d.ref, attempt: job.attempts, err: describeError(e) }, "workflow dispatch failed");
    throw e;
  }
  await s.store.addAudit("alertmanager", "workflow.dispatched", p.fingerprint, { workflow: d.workflow, ref: d.ref, inputs: p.inputs, jobId: job.id });
  log.info({ event: "workflow.dispatched", workflow: d.workflow, ref: d.ref, ...p.inputs }, "analysis workflow started");
}

/** A dispatch job as the queue panel lists it: the alert it was for and where its runs are. */

/** The latest dispatch jobs, newest first, with the workflow's runs page (the dispatch API returns no run id). */
export async function listDispatches(s: Services, limit = 10): Promise<DispatchesView> {
  const jobs = await s.store.listJobs({ kind: "dispatch", limit });
  return {
    workflow: s.dispatcher.workflow,
    ref: s.dispatcher.ref,
    runsUrl: s.dispatcher.runsUrl,
    recent: jobs.map((j) => {
      const p = dispatchPayload.safeParse(j.payload);
      const i = p.success ? p.data.inputs : undefined;
      return {
        id: j.id,
        status: j.status,
        attempts: j.attempts,
        lastError: j.lastError,
        alertName: i?.alert_name,
        target: i ? `${i.cluster ? `${i.cluster}/` : ""}${i.namespace}/${i.pod_name}` : undefined,
        severity: i?.severity,
        updatedAt: j.updatedAt,
      };
    }),
  };
}
