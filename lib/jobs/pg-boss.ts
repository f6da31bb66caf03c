import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import pg from "pg";
import { PgBoss } from "pg-boss";
import { CompiledQuery, sql } from "kysely";
import { AppError, describeError } from "@/lib/errors";
import { DEFAULT_LEASE_MS, type Job, type JobKind } from "@/lib/store";
import { bindJobHandler } from "@/lib/jobs/kinds";
import { createJobQueue } from "@/lib/jobs/queue";
import { everyUnlessBusy, failurePolicy } from "@/lib/jobs/policy";
import { notStarted, type JobBackend, type JobBackendOptions, type WorkerGroup } from "@/lib/jobs/backend";
import type { WorkerLogger } from "@/lib/jobs/worker";

/**
 * Jobs on PostgreSQL, run by pg-boss (lib/jobs/README.md says why pg-boss). The store's `jobs` table is
 * the ledger (dedup claim, analysis, attempts, last error: what the panel and the use cases read); each
 * ledger row is published as a pg-boss job with the same id, and pg-boss does the rest: claiming (SKIP
 * LOCKED), heartbeats and redelivery after a dead worker's heartbeat timeout, retries with exponential
 * backoff, the terminal failed state. A global semaphore of advisory locks bounds a group's handlers
 * across every replica (pg-boss's own groupConcurrency is documented as "may be slightly exceeded").
 */

export interface PgBossJobOptions extends JobBackendOptions {
  /** pg-boss heartbeat: a job whose worker stops touching it for this long runs again elsewhere (min 10). */
  heartbeatSeconds?: number;
  /** First retry delay; later ones double (with jitter) up to retryDelayMaxSeconds. 0: retry at once. */
  retryDelaySeconds?: number;
  retryDelayMaxSeconds?: number;
  /** How often pg-boss's supervisor looks for jobs whose heartbeat stopped (default 10 s). */
  superviseIntervalSeconds?: number;
}

export const DEFAULT_JOBS_SCHEMA = "triage_jobs";
const silent: WorkerLogger = { info() {}, warn() {}, error() {} };
/** The advisory-lock namespace of the global semaphores (first key of pg_try_advisory_lock(int, int)). */
const SEMAPHORE_NS = 0x7472_6a62; // "trjb"

/** The pg-boss queue of a kind. */
export function queueName(kind: JobKind): string {
  return `triage-${kind}`;
}

/** Readable errors for what a role without rights, or a server that is down, makes pg-boss throw. */
function bossError(e: unknown, schema: string): AppError {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === "42501") {
    return new AppError("not_configured", `The database role may not create or use the job queue's schema "${schema}": ${describeError(e)}`, {
      hint: `Grant it: CREATE SCHEMA ${schema} AUTHORIZATION <role>; (or GRANT CREATE ON DATABASE <db> TO <role>), then restart.`,
      cause: e,
    });
  }
  return new AppError("unavailable", `Could not start the job queue (pg-boss, schema "${schema}"): ${describeError(e)}`, {
    hint: "Check that DATABASE_URL reaches the PostgreSQL server and that the role may create schemas.",
    cause: e,
  });
}

/** A fetched pg-boss attempt: settles and heartbeats name it, so a stale worker cannot touch a later attempt. */
interface Attempt {
  id: string;
  retryCount: number;
}

interface Held {
  attempt: Attempt;
  /** Set once the ledger row is claimed. */
  job?: Job;
  controller: AbortController;
  done: Promise<void>;
  lost: boolean;
  /** The global slot's lock connection dropped: the handler was aborted and its job goes back to the queue. */
  slotLost?: boolean;
}

/** A slot of a global semaphore: a session advisory lock held on its own connection. */
interface Slot {
  release(): Promise<void>;
  /**
   * Aborted when the lock's connection fails or ends before release: PostgreSQL has freed the lock
   * with the session, so another replica may take the slot while this one still holds a job.
   */
  lost: AbortSignal;
}

/** A global semaphore of `size` slots: session advisory locks, freed by PostgreSQL when a holder's connection dies. */
class AdvisorySemaphore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly group: number,
    private readonly size: number,
  ) {}

  /** A slot, or undefined when all are taken (by any process). */
  async tryAcquire(): Promise<Slot | undefined> {
    const client = await this.pool.connect();
    // A checked-out pg client has no 'error' listener of the pool's: without this one, a terminated
    // backend would be an uncaught error event.
    const lost = new AbortController();
    let released = false;
    const onGone = (e?: unknown) => {
      if (released || lost.signal.aborted) return;
      lost.abort(new AppError("unavailable", `The connection holding this job's global concurrency slot was lost (${e ? describeError(e) : "connection ended"}); another replica may take the slot.`));
    };
    client.on("error", onGone);
    client.on("end", onGone);
    const detach = () => {
      released = true;
      client.off("error", onGone);
      client.off("end", onGone);
    };
    try {
      const start = Math.floor(Math.random() * this.size);
      for (let i = 0; i < this.size; i++) {
        const slot = this.group * 1000 + ((start + i) % this.size);
        const r = await client.query<{ ok: boolean }>("select pg_try_advisory_lock($1, $2) as ok", [SEMAPHORE_NS, slot]);
        if (r.rows[0]?.ok) {
          return {
            lost: lost.signal,
            release: async () => {
              if (released) return;
              if (lost.signal.aborted) {
                detach();
                client.release(true);
                return;
              }
              try {
                await client.query("select pg_advisory_unlock($1, $2)", [SEMAPHORE_NS, slot]);
                detach();
                client.release();
              } catch (e) {
                detach();
                client.release(e instanceof Error ? e : true);
              }
            },
          };
        }
      }
    } catch (e) {
      detach();
      client.release(e instanceof Error ? e : true);
      throw e;
    }
    detach();
    client.release();
    return undefined;
  }
}

/**
 * Start pg-boss in its own schema and build the backend (call start() to run the workers).
 * @throws AppError not_configured when the role lacks the rights for the schema, unavailable when the server is unreachable.
 */
export async function createPgBossJobBackend(o: PgBossJobOptions): Promise<JobBackend> {
  if (!o.databaseUrl) throw new AppError("not_configured", "The PostgreSQL job backend needs the database URL.", { hint: "Pass databaseUrl (DATABASE_URL)." });
  const { store, handlers } = o;
  const log = o.log ?? silent;
  const schema = o.schema ?? DEFAULT_JOBS_SCHEMA;
  const heartbeatSeconds = Math.max(10, Math.trunc(o.heartbeatSeconds ?? 30));
  const retryDelay = Math.max(0, Math.trunc(o.retryDelaySeconds ?? 2));
  const pollIntervalMs = Math.max(10, o.pollIntervalMs ?? 1000);
  const stopTimeoutMs = o.stopTimeoutMs ?? 30_000;
  const id = o.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const leaseMs = Math.max(DEFAULT_LEASE_MS, heartbeatSeconds * 1000);
  const kinds = [...new Set(o.groups.flatMap((g) => g.kinds))];

  // The monitor (heartbeat and expiry checks) runs at most once per monitorIntervalSeconds (default 60): keep it with the supervisor.
  const supervise = Math.max(1, Math.trunc(o.superviseIntervalSeconds ?? 10));
  const boss = new PgBoss({ connectionString: o.databaseUrl, schema, max: 4, superviseIntervalSeconds: supervise, monitorIntervalSeconds: supervise, application_name: "triage-jobs" });
  boss.on("error", (e: unknown) => log.error({ err: describeError(e) }, "pg-boss error"));
  try {
    await boss.start();
    for (const kind of kinds) {
      const options = {
        retryLimit: 2,
        retryDelay,
        retryBackoff: retryDelay > 0,
        ...(retryDelay > 0 ? { retryDelayMax: Math.max(retryDelay, Math.trunc(o.retryDelayMaxSeconds ?? 300)) } : {}),
        heartbeatSeconds,
        expireInSeconds: 3600,
        deleteAfterSeconds: 7 * 86_400,
      };
      if (await boss.getQueue(queueName(kind))) await boss.updateQueue(queueName(kind), options);
      else await boss.createQueue(queueName(kind), options).catch(async (e: unknown) => {
        // Another replica created it between the two calls.
        if (!(await boss.getQueue(queueName(kind)))) throw e;
      });
    }
  } catch (e) {
    await boss.stop({ graceful: false }).catch(() => undefined);
    throw bossError(e, schema);
  }
  const semaphorePool = new pg.Pool({ connectionString: o.databaseUrl, max: Math.max(1, ...o.groups.filter((g) => g.global).map((g) => g.concurrency)) + 1, application_name: "triage-jobs-semaphore" });
  semaphorePool.on("error", (e) => log.warn({ err: describeError(e) }, "job semaphore connection failed"));

  const held = new Map<string, Held>();
  let state: "idle" | "running" | "stopping" | "stopped" = "idle";
  let stopping: Promise<void> | undefined;
  let timers: NodeJS.Timeout[] = [];
  const wakers = new Set<() => void>();
  let loops: Promise<void>[] = [];

  function kick(): void {
    for (const w of [...wakers]) w();
    publishSoon();
  }

  let publishing: Promise<void> | undefined;
  let again = false;
  function publishSoon(): void {
    if (publishing) {
      again = true;
      return;
    }
    publishing = publish()
      .catch((e: unknown) => log.error({ err: describeError(e) }, "could not publish queued jobs to pg-boss; trying again"))
      .finally(() => {
        publishing = undefined;
        if (again) {
          again = false;
          publishSoon();
        } else for (const w of [...wakers]) w();
      });
  }

  /** Ledger rows that pg-boss does not know yet become pg-boss jobs with the same id (an outbox: any replica may publish, inserts are idempotent). */
  async function publish(): Promise<void> {
    for (;;) {
      const rows = await sql<{ id: string; kind: JobKind; attempts: number; max_attempts: number }>`
        select j.id, j.kind, j.attempts, j.max_attempts from jobs j
        where j.status = 'queued' and not exists (select 1 from ${sql.table(`${schema}.job`)} b where b.id = j.id::uuid)
        order by j.created_at limit 500`.execute(store.db);
      if (rows.rows.length === 0) return;
      const byKind = new Map<JobKind, typeof rows.rows>();
      for (const r of rows.rows) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
      for (const [kind, list] of byKind) {
        await boss.insert(
          queueName(kind),
          list.map((r) => ({ id: r.id, data: { jobId: r.id }, retryLimit: Math.max(0, r.max_attempts - r.attempts - 1) })),
        );
      }
      if (rows.rows.length < 500) return;
    }
  }

  const bossJobs = sql.table(`${schema}.job`);

  /**
   * Bring the ledger in line with what pg-boss decided without one of our workers (every replica runs
   * it; each step is guarded by the state it read, so running it twice changes nothing):
   * - a running row whose worker stopped renewing its lease: pg-boss's job back in the queue (heartbeat
   *   timeout) queues the row again, failed for good fails it with the reason, cancelled or missing
   *   queues it again (or fails it on its last attempt) and re-sends it;
   * - a queued row whose pg-boss job ended (both untouched for a lease): failed after the ledger last
   *   changed means a worker took the last attempt and died before recording the claim, so the row fails
   *   with that reason; cancelled (an interrupted hand-back) or failed before (an interrupted panel retry)
   *   is stale, so it is dropped and the row re-sent with the attempts the ledger has left.
   * The analysis follows each row (queued again, or failed with Retry offered).
   */
  async function reconcile(): Promise<void> {
    let resend = false;
    const running = await sql<{ id: string; locked_by: string | null; state: string | null; output: unknown }>`
      select j.id, j.locked_by, b.state::text as state, b.output from jobs j left join ${bossJobs} b on b.id = j.id::uuid
      where j.status = 'running' and (b.id is null or b.state in ('created', 'retry', 'failed', 'cancelled'))
        and (j.lease_expires_at is null or j.lease_expires_at < ${new Date().toISOString()})
      limit 500`.execute(store.db);
    for (const r of running.rows) {
      if (!r.locked_by) continue;
      if (r.state === "created" || r.state === "retry" || r.state === "failed") {
        const reason = `Interrupted: its worker ${r.locked_by} stopped sending heartbeats (${bossMessage(r.output) ?? "pg-boss heartbeat timeout"}).`;
        await store.failJob(r.id, reason, { permanent: r.state === "failed", workerId: r.locked_by });
        continue;
      }
      const gone = r.state ? "was cancelled" : "is gone from pg-boss";
      const after = await store.failJob(r.id, `Interrupted: its worker ${r.locked_by} stopped sending heartbeats and its queued job ${gone}.`, { workerId: r.locked_by });
      if (after.status !== "queued") continue;
      await dropEnded(r.id);
      resend = true;
    }

    const stranded = await sql<{ id: string; updated_at: string; state: string; output: unknown; after_ledger: boolean }>`
      select j.id, j.updated_at, b.state::text as state, b.output, b.completed_on > j.updated_at::timestamptz as after_ledger
      from jobs j join ${bossJobs} b on b.id = j.id::uuid
      where j.status = 'queued' and b.state in ('failed', 'cancelled')
        and j.updated_at < ${new Date(Date.now() - leaseMs).toISOString()}
        and b.completed_on < now() - ${leaseMs} * interval '1 millisecond'
      limit 500`.execute(store.db);
    for (const r of stranded.rows) {
      if (r.state === "failed" && r.after_ledger) await failStranded(r.id, r.updated_at, bossMessage(r.output));
      else if (await dropEnded(r.id)) resend = true;
    }
    if (resend) publishSoon();
  }

  /** Delete a pg-boss job that has ended (never one a worker may hold), so publish() sends the row again. */
  async function dropEnded(jobId: string): Promise<boolean> {
    const r = await sql`delete from ${bossJobs} where id = ${jobId}::uuid and state in ('failed', 'cancelled')`.execute(store.db);
    return Number(r.numAffectedRows ?? 0) > 0;
  }

  /**
   * Fail a queued row whose last attempt pg-boss gave to a worker that died before claiming it: take the
   * row as this sweeper (only if unchanged since it was read), counting that attempt, then fail it
   * through the store so the analysis fails with the reason. A crash in between leaves a running row
   * with an expired lease and a failed pg-boss job, which the next sweep fails.
   */
  async function failStranded(jobId: string, seen: string, bossReason: string | undefined): Promise<void> {
    const sweeper = `${id}:reconcile`.slice(0, 128);
    const now = new Date().toISOString();
    const took = await store.db
      .updateTable("jobs")
      .set((eb) => ({ status: "running", locked_by: sweeper, locked_at: now, lease_expires_at: now, updated_at: now, attempts: eb("attempts", "+", 1) }))
      .where("id", "=", jobId)
      .where("status", "=", "queued")
      .where("updated_at", "=", seen)
      .returning("id")
      .executeTakeFirst();
    if (!took) return;
    const reason = `Interrupted on its last attempt: a worker took the job from the queue and stopped before recording it, and pg-boss failed it (${bossReason ?? "heartbeat timeout"}).`;
    await store.failJob(jobId, reason, { permanent: true, workerId: sweeper });
    log.warn({ jobId, workerId: id }, "failed a job whose last attempt was lost before its claim was recorded");
  }

  async function claim(jobId: string): Promise<Job | undefined> {
    const now = new Date();
    const r = await store.db
      .updateTable("jobs")
      .set((eb) => ({
        status: "running",
        locked_by: id,
        locked_at: now.toISOString(),
        lease_expires_at: new Date(now.getTime() + leaseMs).toISOString(),
        updated_at: now.toISOString(),
        attempts: eb("attempts", "+", 1),
      }))
      .where("id", "=", jobId)
      .where("status", "in", ["queued", "running"])
      .returning("id")
      .executeTakeFirst();
    return r ? store.getJob(jobId) : undefined;
  }

  async function handBack(job: Job): Promise<void> {
    await store.releaseJob(job.id, id);
    // cancel + resume: pg-boss's job is created again at once, its retry count unchanged.
    await boss.cancel(queueName(job.kind), job.id);
    await boss.resume(queueName(job.kind), job.id);
  }

  /**
   * Fail a pg-boss attempt. With retryInMs (a Retry-After), the retry pg-boss schedules with its own
   * backoff is moved to that delay in the same transaction, so no worker can fetch it in between;
   * pg-boss still counts the attempt against the job's retry limit.
   */
  async function failAttempt(q: string, attempt: Attempt, message: string, retryInMs?: number): Promise<void> {
    if (retryInMs === undefined) {
      await boss.fail(q, attempt, { message });
      return;
    }
    await store.db.transaction().execute(async (trx) => {
      const db = { executeSql: async (text: string, values?: unknown[]) => ({ rows: (await trx.executeQuery(CompiledQuery.raw(text, values ?? []))).rows }) };
      const failed = await boss.fail(q, attempt, { message }, { db });
      // A failed attempt with retries left is in state retry, before active: update() may move its start.
      if ("affected" in failed && Number(failed.affected) > 0) await boss.update(q, undefined, { id: attempt.id, startAfter: retryInMs / 1000, db });
    });
  }

  async function settle(job: Job, entry: Held, error: unknown): Promise<void> {
    if (entry.lost) return;
    if (entry.controller.signal.aborted && (state !== "running" || entry.slotLost)) {
      await handBack(job);
      return;
    }
    // A rate limit's Retry-After (Gemini's 429 RetryInfo) decides the next attempt, as on SQLite.
    const { permanent, retryInMs } = failurePolicy(error);
    const after = await store.failJob(job.id, describeError(error), { permanent, retryInMs, workerId: id });
    const q = queueName(job.kind);
    if (after.status === "failed" && permanent) await boss.cancel(q, job.id);
    else await failAttempt(q, entry.attempt, describeError(error).slice(0, 2000), after.status === "queued" ? retryInMs : undefined);
    log.warn({ jobId: job.id, kind: job.kind, attempts: after.attempts, err: describeError(error) }, after.status === "failed" ? "job failed" : "job attempt failed; retrying");
  }

  function run(group: WorkerGroup, attempt: Attempt, kind: JobKind, release: () => Promise<void>, slotLost?: AbortSignal): void {
    const bossJobId = attempt.id;
    const controller = new AbortController();
    const entry: Held = { attempt, controller, done: Promise.resolve(), lost: false };
    held.set(bossJobId, entry);
    // Without its slot the handler would be one more than the global bound: stop it and hand the job back.
    const onSlotLost = () => {
      if (controller.signal.aborted) return;
      entry.slotLost = true;
      log.warn({ jobId: bossJobId, workerId: id, group: group.name }, "lost the global concurrency slot (its lock connection dropped); aborting the handler and handing the job back");
      controller.abort(slotLost?.reason);
    };
    if (slotLost?.aborted) onSlotLost();
    else slotLost?.addEventListener("abort", onSlotLost, { once: true });
    entry.done = (async () => {
      const job = await claim(bossJobId);
      if (!job) {
        // The ledger settled it already (done, failed, or retried from the panel): nothing to run.
        await boss.complete(queueName(kind), attempt).catch(() => undefined);
        return;
      }
      entry.job = job;
      let call: ReturnType<typeof bindJobHandler>;
      try {
        call = bindJobHandler(job.kind, handlers, job);
        if (!call) throw new AppError("not_configured", `No handler for job kind "${job.kind}" in worker group ${group.name}.`);
      } catch (e) {
        await settle(job, entry, e);
        return;
      }
      try {
        await call({ signal: controller.signal });
      } catch (e) {
        await settle(job, entry, e);
        return;
      }
      if (entry.lost) return;
      if (!(await store.completeJob(job.id, id))) {
        log.warn({ jobId: job.id, kind: job.kind }, "job finished after its lease was lost or handed back; not recorded");
        return;
      }
      await boss.complete(queueName(job.kind), attempt);
    })()
      .catch((e: unknown) => log.error({ jobId: bossJobId, err: describeError(e) }, "could not record the job's outcome; pg-boss runs it again after its heartbeat timeout"))
      .finally(async () => {
        slotLost?.removeEventListener("abort", onSlotLost);
        await release().catch(() => undefined);
        held.delete(bossJobId);
        kick();
      });
  }

  /** Renew pg-boss heartbeats and ledger leases; abort handlers whose job pg-boss gave to someone else. */
  async function heartbeat(): Promise<void> {
    for (const [jobId, h] of [...held]) {
      if (!h.job || h.lost) continue;
      const r = await boss.touch(queueName(h.job.kind), h.attempt);
      const kept = (await store.renewLeases(id, [jobId], leaseMs)).has(jobId);
      if ("affected" in r && Number(r.affected) > 0 && kept) continue;
      h.lost = true;
      log.warn({ jobId, workerId: id }, "lost the job (its heartbeat expired and another worker runs it); aborting its handler");
      h.controller.abort(new AppError("conflict", "This worker lost the job; another worker runs it now."));
    }
  }

  async function groupLoop(group: WorkerGroup, index: number): Promise<void> {
    const semaphore = group.global ? new AdvisorySemaphore(semaphorePool, index, group.concurrency) : undefined;
    let local = 0;
    while (state === "running") {
      try {
        while (state === "running" && local < group.concurrency) {
          const slot = semaphore ? await semaphore.tryAcquire() : undefined;
          if (semaphore && !slot) break;
          const release = async () => slot?.release();
          let got: (Attempt & { kind: JobKind }) | undefined;
          for (const kind of group.kinds) {
            const [j] = await boss.fetch(queueName(kind), { batchSize: 1 });
            if (j) {
              got = { id: j.id, retryCount: j.retryCount, kind };
              break;
            }
          }
          if (!got || state !== "running") {
            if (got) await boss.cancel(queueName(got.kind), got.id).then(() => boss.resume(queueName(got.kind), got.id));
            await release();
            break;
          }
          local++;
          run(
            group,
            got,
            got.kind,
            async () => {
              local--;
              await release();
            },
            slot?.lost,
          );
        }
      } catch (e) {
        log.error({ err: describeError(e), group: group.name }, "fetching a job failed; retrying after the poll interval");
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, pollIntervalMs);
        function done() {
          clearTimeout(t);
          wakers.delete(done);
          resolve();
        }
        wakers.add(done);
      });
    }
  }


  async function shutdown(timeoutMs: number): Promise<void> {
    state = "stopping";
    for (const w of [...wakers]) w();
    await Promise.all(loops);
    const all = () => Promise.all([...held.values()].map((h) => h.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([all().then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)))]);
    clearTimeout(timer);
    if (timedOut) {
      log.warn({ running: held.size, workerId: id }, "stop timed out; aborting running jobs and handing them back");
      for (const h of held.values()) h.controller.abort(new AppError("unavailable", "The worker is stopping."));
      await Promise.race([all(), new Promise((r) => setTimeout(r, 1000))]);
      // Handlers that ignore their signal: hand their jobs back anyway; whatever they record later is refused (lease gone).
      for (const h of held.values()) if (h.job && !h.lost) await handBack(h.job).catch(() => undefined);
    }
    for (const t of timers) clearInterval(t);
    timers = [];
    await publishing;
    await boss.stop({ graceful: false, close: true });
    await semaphorePool.end();
    state = "stopped";
  }

  const queue = createJobQueue(store, kick);
  return {
    engine: "postgres",
    queue,
    async start() {
      if (state === "running" || state === "stopping") return;
      if (state === "stopped") throw new AppError("conflict", "This job backend was stopped.", { hint: "Create a new one." });
      state = "running";
      await reconcile().catch((e: unknown) => log.error({ err: describeError(e) }, "reconciling the job ledger failed"));
      await publish();
      const hb = Math.max(1000, (heartbeatSeconds * 1000) / 3);
      timers = [
        everyUnlessBusy(hb, "renewing job heartbeats", heartbeat, log, { workerId: id }),
        everyUnlessBusy(pollIntervalMs, "publishing queued jobs", async () => publishSoon(), log, { workerId: id }),
        everyUnlessBusy(Math.max(1000, hb), "reconciling the job ledger", reconcile, log, { workerId: id }),
      ];
      loops = o.groups.map((g, i) => groupLoop(g, i));
    },
    stop({ timeoutMs = stopTimeoutMs } = {}) {
      if (state === "running") stopping = shutdown(timeoutMs);
      return stopping ?? Promise.resolve();
    },
    async drain({ timeoutMs } = {}) {
      if (state !== "running") throw notStarted();
      const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
      for (;;) {
        kick();
        const c = await store.jobCounts();
        if (c.queued === 0 && c.running === 0 && held.size === 0) return;
        if (Date.now() >= deadline) {
          throw new AppError("timeout", `Jobs still pending after ${timeoutMs} ms (${c.queued} queued, ${c.running} running).`, {
            hint: "A job may be waiting for a retry backoff; see the queue panel.",
          });
        }
        await new Promise((r) => setTimeout(r, Math.min(pollIntervalMs, 200)));
      }
    },
    running: () => held.size,
    kick,
    counts: () => store.jobCounts(),
    list: (filter) => store.listJobs(filter),
    async retry(jobId) {
      const job = await store.retryJob(jobId);
      // A fresh pg-boss job with the same id, full retries: the old one (failed or cancelled) goes.
      await boss.deleteJob(queueName(job.kind), job.id);
      kick();
      return job;
    },
  };
}

function bossMessage(output: unknown): string | undefined {
  if (output && typeof output === "object") {
    const v = (output as { value?: { message?: unknown }; message?: unknown }).value?.message ?? (output as { message?: unknown }).message;
    if (typeof v === "string") return v;
  }
  return undefined;
}
