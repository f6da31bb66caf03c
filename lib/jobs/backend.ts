import { AppError } from "@/lib/errors";
import type { Job, JobCounts, JobKind, JobStatus, Store } from "@/lib/store";
import { dialectOf } from "@/lib/store/dialect";
import type { JobHandlers } from "@/lib/jobs/kinds";
import { createJobQueue, type JobQueue } from "@/lib/jobs/queue";
import { createWorker, type Worker, type WorkerLogger } from "@/lib/jobs/worker";

/**
 * One job interface above both engines (lib/jobs/README.md): SQLite runs the store's own queue and
 * worker (lib/jobs/worker.ts), PostgreSQL runs pg-boss (lib/jobs/pg-boss.ts). Either way the store's
 * `jobs` table stays the ledger the rest of the console reads: one row per dedup key (a key seen once
 * never makes a second job), the job's analysis, its attempts and last error for the queue panel.
 */
export interface JobBackend {
  readonly engine: "sqlite" | "postgres";
  /** Typed writes; its kick wakes this backend's workers. */
  readonly queue: JobQueue;
  /** Start every worker group (resumes jobs a dead process left). */
  start(): Promise<void>;
  /**
   * Graceful stop: stop claiming, wait up to timeoutMs for running handlers, abort the rest and hand
   * their jobs back so another replica takes them at once (attempt not counted, analysis queued again).
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * Resolve once no job is queued or running.
   * @throws AppError conflict when not started, timeout after timeoutMs.
   */
  drain(options?: { timeoutMs?: number }): Promise<void>;
  /** Handlers running in this process right now. */
  running(): number;
  /** Look for work now. */
  kick(): void;
  /** How many jobs are in each state (the queue panel). */
  counts(): Promise<JobCounts>;
  /** Jobs, most recently updated first (the queue panel's running and failed lists). */
  list(filter: { status?: JobStatus; kind?: JobKind; limit?: number }): Promise<Job[]>;
  /**
   * Put a failed job back in the queue with fresh attempts (the panel's retry).
   * @throws AppError not_found, or conflict when the job has not failed.
   */
  retry(id: string): Promise<Job>;
}

/** A set of kinds run by one pool of handlers. */
export interface WorkerGroup {
  name: string;
  kinds: readonly JobKind[];
  /** Handlers of this group at once: per process on SQLite, across every replica on PostgreSQL when `global`. */
  concurrency: number;
  /** Bound `concurrency` across all processes on the database (the Gemini budget). */
  global?: boolean;
}

export interface JobBackendOptions {
  store: Store;
  handlers: Partial<JobHandlers>;
  groups: readonly WorkerGroup[];
  log?: WorkerLogger;
  /** A name for this process's workers (lease owner in the ledger); default host:pid:random. */
  workerId?: string;
  /** How often idle workers look for due jobs. */
  pollIntervalMs?: number;
  stopTimeoutMs?: number;
  /** PostgreSQL only: the schema pg-boss owns (default triage_jobs). */
  schema?: string;
  /** PostgreSQL only: the database URL pg-boss connects to (the store's DATABASE_URL). */
  databaseUrl?: string;
}

/** The SQLite backend: today's store queue and lease worker, one worker per group. */
export function createSqliteJobBackend(o: JobBackendOptions): JobBackend & { workers: Worker[] } {
  const workers: Worker[] = [];
  const kick = () => workers.forEach((w) => w.kick());
  const queue = createJobQueue(o.store, kick);
  for (const g of o.groups) {
    workers.push(
      createWorker({
        store: o.store,
        handlers: o.handlers,
        kinds: g.kinds,
        concurrency: g.concurrency,
        log: o.log,
        pollIntervalMs: o.pollIntervalMs,
        stopTimeoutMs: o.stopTimeoutMs,
        workerId: o.workerId ? `${o.workerId}:${g.name}` : undefined,
      }),
    );
  }
  return {
    engine: "sqlite",
    queue,
    workers,
    async start() {
      for (const w of workers) await w.start();
    },
    async stop(opts) {
      await Promise.all(workers.map((w) => w.stop(opts)));
    },
    async drain(opts) {
      await Promise.all(workers.map((w) => w.drain(opts)));
    },
    running: () => workers.reduce((n, w) => n + w.running(), 0),
    kick,
    counts: () => o.store.jobCounts(),
    list: (filter) => o.store.listJobs(filter),
    retry: (id) => o.store.retryJob(id),
  };
}

/**
 * The backend for the store's engine: pg-boss on PostgreSQL, the store's own worker on SQLite.
 * @throws AppError not_configured when pg-boss cannot create or use its schema (role rights).
 */
export async function createJobBackend(o: JobBackendOptions): Promise<JobBackend> {
  if (dialectOf(o.store.db) === "sqlite") return createSqliteJobBackend(o);
  const { createPgBossJobBackend } = await import("@/lib/jobs/pg-boss");
  return createPgBossJobBackend(o);
}

/** The error for a backend used before start(). */
export function notStarted(): AppError {
  return new AppError("conflict", "The job workers are not running.", { hint: "Call start() before drain()." });
}
