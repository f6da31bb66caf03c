import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { AppError, describeError, isAppError, type ErrorCode } from "@/lib/errors";
import type { Job, JobKind, NewJob, Store } from "@/lib/store";

export type JobHandler = (job: Job, ctx: { signal: AbortSignal }) => Promise<void>;

/** The slice of pino the worker uses, so tests and the CLI can pass their own. */
export interface WorkerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface WorkerOptions {
  store: Store;
  /** Handlers running at once: the bound on concurrent Gemini calls. */
  concurrency?: number;
  handlers: Partial<Record<JobKind, JobHandler>>;
  /** Only claim these kinds (default: any; a kind without a handler then fails), so cheap jobs need not wait behind Gemini calls. */
  kinds?: readonly JobKind[];
  /** How often to look for due jobs when nobody kicks (retries with backoff become due this way). */
  pollIntervalMs?: number;
  workerId?: string;
  log?: WorkerLogger;
  /** How long stop() waits for running handlers before aborting them. */
  stopTimeoutMs?: number;
  /** Requeue jobs left running by a dead process at start (turn off when several replicas share the store). */
  requeueOnStart?: boolean;
}

export interface Worker {
  readonly id: string;
  /** Requeue interrupted jobs, then process the queue until stop(). */
  start(): Promise<void>;
  /** Stop claiming; wait (bounded) for running handlers, then abort the rest; they are requeued. */
  stop(): Promise<void>;
  /** Look for work now (call after enqueueing). */
  kick(): void;
  /**
   * Resolve once no job is queued or running in the store (for tests and the CLI).
   * @throws AppError conflict when the worker is not started, timeout after timeoutMs.
   */
  drain(options?: { timeoutMs?: number }): Promise<void>;
  /** Handlers running right now. */
  running(): number;
}

/** Errors that another attempt cannot fix: fail at once and let a person retry after fixing the cause. */
const PERMANENT: ReadonlySet<ErrorCode> = new Set(["bad_request", "unprocessable", "not_found", "unauthorized", "forbidden", "not_configured"]);

const silent: WorkerLogger = { info() {}, warn() {}, error() {} };

/** A queue worker over the store with at most `concurrency` handlers at once. */
export function createWorker(options: WorkerOptions): Worker {
  const { store, handlers } = options;
  const concurrency = Math.min(Math.max(Math.trunc(options.concurrency ?? 2), 1), 64);
  const pollIntervalMs = Math.max(10, options.pollIntervalMs ?? 1000);
  const stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  const id = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const log = options.log ?? silent;
  const kinds = options.kinds;

  const active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let state: "idle" | "running" | "stopping" | "stopped" = "idle";
  let kicked = false;
  let wake: (() => void) | undefined;
  const listeners = new Set<() => void>();
  let loop: Promise<void> | undefined;

  function kick(): void {
    kicked = true;
    wake?.();
    for (const l of listeners) l();
  }

  function nap(ms: number): Promise<void> {
    if (kicked) {
      kicked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        kicked = false;
        resolve();
      }
      wake = done;
    });
  }

  /** Wait for any job to finish, a kick, or the timeout. */
  function change(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        listeners.delete(done);
        resolve();
      }
      listeners.add(done);
    });
  }

  async function settle(job: Job, error: unknown, aborted: boolean): Promise<void> {
    if (aborted && state !== "running") {
      await store.releaseJob(job.id, id);
      return;
    }
    const permanent = isAppError(error) && PERMANENT.has(error.code);
    const retryInMs = isAppError(error) && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : undefined;
    const after = await store.failJob(job.id, describeError(error), { permanent, retryInMs, workerId: id });
    const msg = after.status === "failed" ? "job failed" : "job attempt failed; retrying";
    log.warn({ jobId: job.id, kind: job.kind, attempts: after.attempts, err: describeError(error) }, msg);
  }

  function run(job: Job): void {
    const handler = handlers[job.kind];
    const controller = new AbortController();
    const done = (async () => {
      if (!handler) {
        await store.failJob(job.id, `No handler for job kind "${job.kind}" in this worker; it was started without one.`, { permanent: true, workerId: id });
        log.error({ jobId: job.id, kind: job.kind }, "job of unknown kind failed");
        return;
      }
      try {
        await handler(job, { signal: controller.signal });
      } catch (e) {
        await settle(job, e, controller.signal.aborted);
        return;
      }
      await store.completeJob(job.id, id);
    })()
      .catch((e: unknown) => log.error({ jobId: job.id, err: describeError(e) }, "could not record the job's outcome; it will be requeued at next start"))
      .finally(() => {
        active.delete(job.id);
        kick();
      });
    active.set(job.id, { controller, done });
  }

  async function mainLoop(): Promise<void> {
    while (state === "running") {
      try {
        while (state === "running" && active.size < concurrency) {
          const job = await store.claimNextJob(id, kinds);
          if (!job) break;
          run(job);
        }
      } catch (e) {
        log.error({ err: describeError(e) }, "claiming a job failed; retrying after the poll interval");
      }
      await nap(pollIntervalMs);
    }
  }

  return {
    id,
    async start() {
      if (state === "running") return;
      if (options.requeueOnStart ?? true) {
        const requeued = await store.requeueInterrupted();
        if (requeued > 0) log.info({ requeued }, "requeued jobs interrupted by a previous run");
      }
      state = "running";
      kicked = true;
      loop = mainLoop();
    },
    async stop() {
      if (state !== "running") return;
      state = "stopping";
      kick();
      await loop;
      const all = () => Promise.all([...active.values()].map((a) => a.done));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        all().then(() => false),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(true), stopTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        log.warn({ running: active.size }, "stop timed out; aborting running jobs");
        for (const a of active.values()) a.controller.abort(new AppError("unavailable", "The worker is stopping."));
        await Promise.race([all(), new Promise((r) => setTimeout(r, 5000))]);
      }
      state = "stopped";
    },
    kick,
    async drain({ timeoutMs } = {}) {
      if (state !== "running") throw new AppError("conflict", "The worker is not running.", { hint: "Call start() before drain()." });
      const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
      kick();
      for (;;) {
        const c = await store.jobCounts();
        if (c.queued === 0 && c.running === 0 && active.size === 0) return;
        if (Date.now() >= deadline) {
          throw new AppError("timeout", `Jobs still pending after ${timeoutMs} ms (${c.queued} queued, ${c.running} running).`, {
            hint: "A job may be waiting for a retry backoff; see the queue panel.",
          });
        }
        await change(pollIntervalMs);
      }
    },
    running: () => active.size,
  };
}

/**
 * Enqueue a job and wake the worker so it starts at once.
 * @throws AppError unprocessable when the job input is invalid.
 */
export async function enqueueAndKick(store: Store, worker: Pick<Worker, "kick">, job: NewJob): Promise<{ job: Job; created: boolean }> {
  const result = await store.enqueueJob(job);
  if (result.created) worker.kick();
  return result;
}
