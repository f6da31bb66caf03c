import type { Job, JobKind, Store } from "@/lib/store";
import { checkedJob, parseJobPayload, type EnqueueOptions, type PayloadInput, type TypedNewJob } from "@/lib/jobs/kinds";

/** Typed writes into the durable job queue, and the wake-up call for the workers that run them. */
export interface JobQueue {
  /**
   * Add a job of this kind unless one with the same dedupKey exists (then that one is returned).
   * @throws AppError unprocessable when the payload does not match the kind's schema or the job is out of bounds.
   */
  enqueue<K extends JobKind>(kind: K, payload: PayloadInput<K>, options: EnqueueOptions): Promise<{ job: Job; created: boolean }>;
  /**
   * Add many jobs in one transaction (a webhook's slice); those whose dedupKey exists are skipped.
   * Returns the dedup keys that were new.
   * @throws AppError unprocessable when a payload or job is out of bounds (nothing is written then).
   */
  enqueueMany(jobs: readonly TypedNewJob[]): Promise<Set<string>>;
  /** Wake the workers (after enqueueing). */
  kick(): void;
}

/** The queue over this store; `kick` wakes whichever workers run its jobs. */
export function createJobQueue(store: Pick<Store, "enqueueJob" | "enqueueJobs">, kick: () => void): JobQueue {
  return {
    enqueue: (kind, payload, options) => store.enqueueJob({ ...options, kind, payload: parseJobPayload(kind, payload) }),
    enqueueMany: async (jobs) => (jobs.length ? store.enqueueJobs(jobs.map(checkedJob)) : new Set<string>()),
    kick,
  };
}
