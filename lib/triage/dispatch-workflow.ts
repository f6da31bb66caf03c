import type { Logger } from "pino";
import { targetFromLabels } from "@/lib/alerts/types";
import type { Config } from "@/lib/config";
import { describeError } from "@/lib/errors";
import { workflowInputs, type WorkflowDispatcher } from "@/lib/github/dispatch";
import { jobPayloadSchemas, type PayloadOf, type TypedNewJob } from "@/lib/jobs/kinds";
import type { JobQueue } from "@/lib/jobs/queue";
import type { DispatchesView } from "@/lib/jobs/api";
import type { Job, Store } from "@/lib/store";
import type { WebhookAlert } from "@/lib/webhooks/schema";

/**
 * WEBHOOK_MODE=dispatch: each firing alert the webhook policy selects becomes a durable `dispatch` job
 * that starts the GitHub workflow (GITHUB_WORKFLOW on GITHUB_WORKFLOW_REF), once per firing episode, with
 * the same cooldown windows as analyses. The job machinery retries 5xx and rate limits (honouring their
 * reset) and keeps a permanent failure with its reason.
 */

/** Attempts per dispatch: a few 5xx and rate-limit waits, well within an incident. */
export const DISPATCH_ATTEMPTS = 8;

export type DispatchPayload = PayloadOf<"dispatch">;

export interface EnqueueDispatchesDeps {
  store: Pick<Store, "findJobsByDedupKeys">;
  queue: Pick<JobQueue, "enqueueMany">;
  config: { policy: Pick<Config["policy"], "cooldownSeconds"> };
}

export interface RunDispatchDeps {
  store: Pick<Store, "addAudit">;
  dispatcher: WorkflowDispatcher;
  log: Pick<Logger, "child">;
}

export interface ListDispatchesDeps {
  store: Pick<Store, "listJobs">;
  dispatcher: Pick<WorkflowDispatcher, "workflow" | "ref" | "runsUrl">;
}

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
export async function enqueueDispatches(d: EnqueueDispatchesDeps, firing: readonly WebhookAlert[], now: number, requestId?: string): Promise<{ queued: number; duplicates: number }> {
  const cooldownMs = d.config.policy.cooldownSeconds * 1000;
  const window = cooldownMs > 0 ? Math.floor(now / cooldownMs) : undefined;
  const previous = window === undefined ? new Map<string, Job>() : await d.store.findJobsByDedupKeys(firing.map((a) => dispatchKey(a, window - 1)));
  let duplicates = 0;
  const jobs: TypedNewJob[] = [];
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
  const created = await d.queue.enqueueMany(jobs);
  return { queued: created.size, duplicates: duplicates + jobs.length - created.size };
}

/**
 * Run one dispatch job: start the workflow and audit it.
 * @throws the dispatcher's errors (permanent ones fail the job at once; rate_limited and unavailable are
 * retried by the worker).
 */
export async function runDispatchJob(d: RunDispatchDeps, p: DispatchPayload, job: Job): Promise<void> {
  const w = d.dispatcher;
  const log = d.log.child({ requestId: p.requestId ?? job.id, jobId: job.id, fingerprint: p.fingerprint });
  try {
    await w.dispatch(p.inputs);
  } catch (e) {
    log.warn({ event: "workflow.dispatch_failed", workflow: w.workflow, ref: w.ref, attempt: job.attempts, err: describeError(e) }, "workflow dispatch failed");
    throw e;
  }
  await d.store.addAudit("alertmanager", "workflow.dispatched", p.fingerprint, { workflow: w.workflow, ref: w.ref, inputs: p.inputs, jobId: job.id });
  log.info({ event: "workflow.dispatched", workflow: w.workflow, ref: w.ref, ...p.inputs }, "analysis workflow started");
}

/** A dispatch job as the queue panel lists it: the alert it was for and where its runs are. */

/** The latest dispatch jobs, newest first, with the workflow's runs page (the dispatch API returns no run id). */
export async function listDispatches(d: ListDispatchesDeps, limit = 10): Promise<DispatchesView> {
  const jobs = await d.store.listJobs({ kind: "dispatch", limit });
  return {
    workflow: d.dispatcher.workflow,
    ref: d.dispatcher.ref,
    runsUrl: d.dispatcher.runsUrl,
    recent: jobs.map((j) => {
      const p = jobPayloadSchemas.dispatch.safeParse(j.payload);
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
