import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { AppError, describeError } from "@/lib/errors";
import { DEFAULT_LEASE_MS, type Job, type JobKind, type Store } from "@/lib/store";
import { bindJobHandler, checkedJob, type JobHandlers, type TypedNewJob } from "@/lib/jobs/kinds";
import { everyUnlessBusy, failurePolicy } from "@/lib/jobs/policy";

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
  /** One handler per kind it runs; each gets its payload parsed against the kind's schema (lib/jobs/kinds.ts). */
  handlers: Partial<JobHandlers>;
  /** Only claim these kinds (default: any; a kind without a handler then fails), so cheap jobs need not wait behind Gemini calls. */
  kinds?: readonly JobKind[];
  /** How often to look for due jobs when nobody kicks (retries with backoff become due this way). */
  pollIntervalMs?: number;
  /** The lease owner's name in the jobs table; default `host:pid:random`, unique per worker. */
  workerId?: string;
  log?: WorkerLogger;
  /** How long stop() waits for running handlers before aborting them and handing their jobs back. */
  stopTimeoutMs?: number;
  /**
   * How long a claimed job stays this worker's without a heartbeat (default 30 s). A process that dies
   * (kill -9, OOM, a lost node) loses its jobs to the next sweep once their leases expire.
   */
  leaseMs?: number;
  /** How often the running jobs' leases are renewed (default a third of leaseMs). */
  heartbeatMs?: number;
  /** How often to requeue jobs whose lease expired (default half of leaseMs, at most 10 s); also done at start. */
  sweepIntervalMs?: number;
  /** Sweep expired leases at start and periodically (default true; any number of processes may). */
  sweepExpired?: boolean;
}

export interface Worker {
  /** The lease owner this worker writes into the jobs it runs (visible as the job's lockedBy). */
  readonly id: string;
  /** Requeue jobs whose lease expired (never a live process's), then process the queue until stop(). */
  start(): Promise<void>;
  /**
   * Graceful stop, and the hook for shutdown: stop claiming at once; keep renewing the leases of running
   * handlers while waiting up to `timeoutMs` (default stopTimeoutMs) for them; then abort the rest and
   * hand back every job this worker still holds (store.releaseJobs: queued again, attempt not counted,
   * analysis queued again), so another process takes them at once instead of after lease expiry. A
   * handler that ignores its abort signal and finishes later records nothing (its lease is gone).
   * Resolves when nothing of this worker is left running in the store; safe to call twice.
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
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


const silent: WorkerLogger = { info() {}, warn() {}, error() {} };

/** A queue worker over the store with at most `concurrency` handlers at once. */
export function createWorker(options: WorkerOptions): Worker {
  const { store, handlers } = options;
  const concurrency = Math.min(Math.max(Math.trunc(options.concurrency ?? 2), 1), 64);
  const pollIntervalMs = Math.max(10, options.pollIntervalMs ?? 1000);
  const stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  const leaseMs = Math.max(50, options.leaseMs ?? DEFAULT_LEASE_MS);
  const heartbeatMs = Math.max(10, Math.min(options.heartbeatMs ?? leaseMs / 3, leaseMs / 2));
  const sweepIntervalMs = Math.max(10, options.sweepIntervalMs ?? Math.min(leaseMs / 2, 10_000));
  const id = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const log = options.log ?? silent;
  const kinds = options.kinds;

  const active = new Map<string, { controller: AbortController; done: Promise<void>; lost: boolean }>();
  let state: "idle" | "running" | "stopping" | "stopped" = "idle";
  let timers: NodeJS.Timeout[] = [];
  let stopping: Promise<void> | undefined;
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

  async function settle(job: Job, error: unknown, aborted: boolean, lost: boolean): Promise<void> {
    if (lost) return;
    if (aborted && state !== "running") {
      await store.releaseJob(job.id, id);
      return;
    }
    const { permanent, retryInMs } = failurePolicy(error);
    const after = await store.failJob(job.id, describeError(error), { permanent, retryInMs, workerId: id });
    const msg = after.status === "failed" ? "job failed" : "job attempt failed; retrying";
    log.warn({ jobId: job.id, kind: job.kind, attempts: after.attempts, err: describeError(error) }, msg);
  }

  function run(job: Job): void {
    const controller = new AbortController();
    const entry = { controller, done: Promise.resolve(), lost: false };
    entry.done = (async () => {
      let call: ReturnType<typeof bindJobHandler>;
      try {
        call = bindJobHandler(job.kind, handlers, job);
      } catch (e) {
        // A payload that does not match its kind's schema is unprocessable: the job fails at once with the reason.
        await settle(job, e, false, entry.lost);
        return;
      }
      if (!call) {
        await store.failJob(job.id, `No handler for job kind "${job.kind}" in this worker; it was started without one.`, { permanent: true, workerId: id });
        log.error({ jobId: job.id, kind: job.kind }, "job of unknown kind failed");
        return;
      }
      try {
        await call({ signal: controller.signal });
      } catch (e) {
        await settle(job, e, controller.signal.aborted, entry.lost);
        return;
      }
      if (!(await store.completeJob(job.id, id))) log.warn({ jobId: job.id, kind: job.kind }, "job finished after its lease was lost or handed back; not recorded");
    })()
      .catch((e: unknown) => log.error({ jobId: job.id, err: describeError(e) }, "could not record the job's outcome; it will be requeued at next start"))
      .finally(() => {
        active.delete(job.id);
        kick();
      });
    active.set(job.id, entry);
  }

  /** Renew the running jobs' leases; abort the handlers of jobs this worker no longer holds. */
  async function heartbeat(): Promise<void> {
    const ids = [...active.keys()];
    if (ids.length === 0) return;
    const held = await store.renewLeases(id, ids, leaseMs);
    for (const jobId of ids) {
      const a = active.get(jobId);
      if (!a || held.has(jobId) || a.lost) continue;
      a.lost = true;
      log.warn({ jobId, workerId: id }, "lost the job's lease (another process requeued it after it expired); aborting its handler");
      a.controller.abort(new AppError("conflict", "This worker lost the job's lease; another worker runs it now."));
    }
  }

  async function sweep(): Promise<void> {
    const { requeued, failed } = await store.requeueExpired();
    if (requeued > 0 || failed > 0) {
      log.info({ requeued, failed, workerId: id }, "requeued jobs whose worker stopped renewing its lease");
      if (requeued > 0) kick();
    }
  }


  async function shutdown(timeoutMs: number): Promise<void> {
    state = "stopping";
    kick();
    await loop;
    const all = () => Promise.all([...active.values()].map((a) => a.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all().then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      log.warn({ running: active.size, workerId: id }, "stop timed out; aborting running jobs and handing them back");
      for (const a of active.values()) a.controller.abort(new AppError("unavailable", "The worker is stopping."));
      await Promise.race([all(), new Promise((r) => setTimeout(r, 1000))]);
    }
    for (const t of timers) clearInterval(t);
    timers = [];
    const released = await store.releaseJobs(id);
    if (released > 0) log.info({ released, workerId: id }, "handed back jobs whose handlers did not stop");
    state = "stopped";
  }

  async function mainLoop(): Promise<void> {
    while (state === "running") {
      try {
        while (state === "running" && active.size < concurrency) {
          // The store is synchronous underneath, and a cheap handler finishes, kicks and gets here again
          // all in microtasks: without a turn of the event loop before each claim, thousands of queued
          // jobs would run back to back while health checks, pages and timers wait.
          await new Promise((resolve) => setImmediate(resolve));
          if (state !== "running") break;
          const job = await store.claimNextJob(id, kinds, { leaseMs });
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
      if (state === "running" || state === "stopping") return;
      const sweeping = options.sweepExpired ?? true;
      if (sweeping) await sweep();
      state = "running";
      stopping = undefined;
      kicked = true;
      const tick = (ms: number, what: string, fn: () => Promise<void>) => everyUnlessBusy(ms, what, fn, log, { workerId: id });
      timers = [tick(heartbeatMs, "renewing job leases", heartbeat)];
      if (sweeping) timers.push(tick(sweepIntervalMs, "requeueing expired jobs", sweep));
      loop = mainLoop();
    },
    stop({ timeoutMs = stopTimeoutMs } = {}) {
      if (state === "running") stopping = shutdown(timeoutMs);
      return stopping ?? Promise.resolve();
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
 * @throws AppError unprocessable when the job input or its payload is invalid.
 */
export async function enqueueAndKick(store: Store, worker: Pick<Worker, "kick">, job: TypedNewJob): Promise<{ job: Job; created: boolean }> {
  const result = await store.enqueueJob(checkedJob(job));
  if (result.created) worker.kick();
  return result;
}
