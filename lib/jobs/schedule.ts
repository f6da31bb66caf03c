import { describeError } from "@/lib/errors";
import type { JobKind, Store } from "@/lib/store";
import type { Worker, WorkerLogger } from "@/lib/jobs/worker";
import { parseJobPayload, type PayloadInput } from "@/lib/jobs/kinds";

export interface PeriodicJobOptions<K extends JobKind = JobKind> {
  store: Store;
  worker: Pick<Worker, "kick">;
  kind: K;
  /** At most one job of this kind per interval, across every process on the database. */
  intervalMs: number;
  /** The job's payload (default {}), checked against the kind's schema. */
  payload?: PayloadInput<K>;
  /** The clock that names the interval; tests move it. */
  now?: () => Date;
  log?: WorkerLogger;
}

/**
 * Enqueue the interval's job of this kind: its dedup key names the interval (`kind:<n>`, n = now /
 * intervalMs), so any number of calls and processes within one interval make one job. Returns whether
 * this call created it.
 * @throws AppError when the store cannot write, unprocessable when the payload does not match the kind.
 */
export async function enqueuePeriodic<K extends JobKind>(o: Omit<PeriodicJobOptions<K>, "log">): Promise<boolean> {
  const interval = Math.floor((o.now ?? (() => new Date()))().getTime() / o.intervalMs);
  const payload = parseJobPayload(o.kind, o.payload ?? {});
  const { created } = await o.store.enqueueJob({ kind: o.kind, dedupKey: `${o.kind}:${o.intervalMs}:${interval}`, payload });
  if (created) o.worker.kick();
  return created;
}

/**
 * Look for the interval's job several times per interval (at most every 5 minutes), so a timer that
 * fires late or a process that starts mid-interval still enqueues it; the dedup key keeps it to one.
 * The first look comes one period after start, not at once: start-up (resuming the queue, a burst of
 * webhooks after a rollout) goes first, and a process that restarts often does not prune each time.
 * The durable worker runs the job, with its lease, retries and the queue panel. Returns stop().
 */
export function schedulePeriodic<K extends JobKind>(o: PeriodicJobOptions<K>): { stop(): void } {
  const tick = () => {
    enqueuePeriodic(o).catch((e: unknown) => o.log?.warn({ kind: o.kind, err: describeError(e) }, "could not enqueue the periodic job; trying again later"));
  };
  const timer = setInterval(tick, Math.max(1000, Math.min(o.intervalMs / 4, 5 * 60_000)));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
