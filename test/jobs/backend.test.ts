import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { PgBoss } from "pg-boss";
import { afterEach, describe, expect, it } from "vitest";
import { AppError, isAppError } from "@/lib/errors";
import { createSqliteJobBackend, type JobBackend, type WorkerGroup } from "@/lib/jobs/backend";
import type { JobHandlers } from "@/lib/jobs/kinds";
import { createPgBossJobBackend, queueName, type PgBossJobOptions } from "@/lib/jobs/pg-boss";
import { sql } from "kysely";
import { openStore, type Store } from "@/lib/store";
import { postgresDatabase } from "@/test/helpers/postgres-database";

type Engine = "sqlite" | "postgres";
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openEngine(engine: Engine): Promise<{ store: Store; url: string }> {
  if (engine === "sqlite") {
    const store = await openStore(":memory:");
    cleanups.push(() => store.close());
    return { store, url: ":memory:" };
  }
  const url = await postgresDatabase("jobs");
  const store = await openStore(url);
  cleanups.push(() => store.close());
  return { store, url };
}

const ALL: WorkerGroup[] = [{ name: "all", kinds: ["analyze", "resolve", "file_issue", "dispatch", "prune"], concurrency: 2 }];

async function backendFor(
  engine: Engine,
  env: { store: Store; url: string },
  handlers: Partial<JobHandlers>,
  extra: Partial<PgBossJobOptions> = {},
): Promise<JobBackend> {
  const common = { store: env.store, handlers, groups: extra.groups ?? ALL, pollIntervalMs: 30, stopTimeoutMs: extra.stopTimeoutMs, workerId: extra.workerId };
  const b =
    engine === "sqlite"
      ? createSqliteJobBackend(common)
      : await createPgBossJobBackend({ ...common, databaseUrl: env.url, retryDelaySeconds: 0, superviseIntervalSeconds: 1, ...extra });
  cleanups.push(() => b.stop({ timeoutMs: 200 }));
  await b.start();
  return b;
}

async function queueAnalysis(store: Store, maxAttempts = 3) {
  const id = randomUUID();
  const key = `webhook:${id}`;
  await store.enqueueAnalyses([
    {
      job: { kind: "analyze", dedupKey: key, analysisId: id, payload: { analysisId: id }, maxAttempts },
      analysis: { id, fingerprint: `fp-${id}`, trigger: "webhook", target: { namespace: "ml", pod: "p" } },
    },
  ]);
  const job = (await store.findJobsByDedupKeys([key])).get(key);
  if (!job) throw new Error("job not written");
  return { analysisId: id, jobId: job.id };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(["sqlite", "postgres"] as const)("the job interface on %s", (engine) => {
  it("runs one job per dedup key: a key seen before never makes a second job, even after the first completed", async () => {
    const env = await openEngine(engine);
    const ran: string[] = [];
    const b = await backendFor(engine, env, { resolve: async (p) => void ran.push(p.fingerprint) });
    const first = await b.queue.enqueue("resolve", { fingerprint: "a", endsAt: "2026-01-01T00:00:00Z" }, { dedupKey: "resolve:a:1" });
    b.kick();
    await b.drain({ timeoutMs: 20_000 });
    const again = await b.queue.enqueue("resolve", { fingerprint: "a", endsAt: "2026-01-01T00:00:00Z" }, { dedupKey: "resolve:a:1" });
    const many = await b.queue.enqueueMany([
      { kind: "resolve", dedupKey: "resolve:a:1", payload: { fingerprint: "a", endsAt: "2026-01-01T00:00:00Z" } },
      { kind: "resolve", dedupKey: "resolve:b:1", payload: { fingerprint: "b", endsAt: "2026-01-01T00:00:00Z" } },
    ]);
    b.kick();
    await b.drain({ timeoutMs: 20_000 });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, job: { id: first.job.id, status: "done" } });
    expect([...many]).toEqual(["resolve:b:1"]);
    expect(ran.sort()).toEqual(["a", "b"]);
    expect(await b.counts()).toMatchObject({ queued: 0, running: 0, done: 2, failed: 0 });
  }, 60_000);

  it("retries a failing job, keeps its permanent failure visible with the reason and fails its analysis; the panel's retry runs it again", async () => {
    const env = await openEngine(engine);
    let calls = 0;
    let healthy = false;
    const b = await backendFor(engine, env, {
      analyze: async () => {
        calls++;
        if (!healthy) throw new AppError("unavailable", `Gemini answered 503 (call ${calls})`);
      },
    });
    const { analysisId, jobId } = await queueAnalysis(env.store, 2);
    b.kick();
    const failed = await until("the job to fail", async () => (await b.list({ status: "failed" })).find((j) => j.id === jobId));
    expect(calls).toBe(2);
    expect(failed).toMatchObject({ attempts: 2, lastError: expect.stringContaining("Gemini answered 503 (call 2)") });
    expect((await b.counts()).failed).toBe(1);
    expect(await env.store.getAnalysis(analysisId)).toMatchObject({ status: "failed", error: expect.stringContaining("503") });

    healthy = true;
    expect(await b.retry(jobId)).toMatchObject({ id: jobId, status: "queued" });
    await until("the retried job to finish", async () => (await env.store.getJob(jobId))?.status === "done");
    expect(calls).toBe(3);
    await expect(b.retry(jobId)).rejects.toMatchObject({ code: "conflict" });
  }, 60_000);

  it("fails a job at once on a permanent error (no retry) and says why", async () => {
    const env = await openEngine(engine);
    let calls = 0;
    const b = await backendFor(engine, env, {
      analyze: async () => {
        calls++;
        throw new AppError("unprocessable", "The alert has no pod label.");
      },
    });
    const { analysisId, jobId } = await queueAnalysis(env.store, 3);
    b.kick();
    await until("the job to fail", async () => (await env.store.getJob(jobId))?.status === "failed");
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toBe(1);
    expect(await env.store.getAnalysis(analysisId)).toMatchObject({ status: "failed" });
  }, 60_000);

  it("waits out a rate limit's Retry-After before the next attempt, and counts each attempt", async () => {
    const env = await openEngine(engine);
    const calls: number[] = [];
    const b = await backendFor(engine, env, {
      analyze: async () => {
        calls.push(Date.now());
        // Gemini's 429 as lib/analysis/gemini.ts reports it: the RetryInfo delay becomes retryAfterSeconds.
        throw new AppError("rate_limited", `Gemini quota exhausted (call ${calls.length})`, { retryAfterSeconds: calls.length === 1 ? 3 : 1 });
      },
    });
    const { analysisId, jobId } = await queueAnalysis(env.store, 2);
    b.kick();
    await until("the job to fail", async () => (await env.store.getJob(jobId))?.status === "failed");
    // pg-boss's own backoff is 0 s in these tests: only the Retry-After can keep the second call this far from the first.
    const [first, second] = calls;
    expect(calls).toHaveLength(2);
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(2500);
    await new Promise((r) => setTimeout(r, 1500));
    expect(calls).toHaveLength(2);
    expect(await env.store.getJob(jobId)).toMatchObject({ attempts: 2, lastError: expect.stringContaining("call 2") });
    expect(await env.store.getAnalysis(analysisId)).toMatchObject({ status: "failed" });
    if (engine === "postgres") {
      const { rows } = await sql`select state::text as state, retry_count from triage_jobs.job where id = ${jobId}::uuid`.execute(env.store.db);
      expect(rows).toEqual([{ state: "failed", retry_count: 1 }]);
    }
  }, 60_000);

  it("graceful stop hands a running job back; another worker on the database takes it at once", async () => {
    const env = await openEngine(engine);
    const started: string[] = [];
    const a = await backendFor(
      engine,
      env,
      {
        analyze: async (_p, job, ctx) => {
          started.push(`a:${job.id}`);
          await new Promise((_r, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)));
        },
      },
      { workerId: "a", heartbeatSeconds: 60 },
    );
    const { jobId } = await queueAnalysis(env.store, 3);
    a.kick();
    await until("worker a to hold the job", async () => started.length === 1);
    const b = await backendFor(engine, env, { analyze: async (_p, job) => void started.push(`b:${job.id}`) }, { workerId: "b", heartbeatSeconds: 60 });
    await a.stop({ timeoutMs: 100 });
    // Well before the lease (SQLite, 30 s) or the heartbeat timeout (pg-boss, 60 s) would free it.
    await until("worker b to finish the job", async () => (await env.store.getJob(jobId))?.status === "done", 20_000);
    expect(started).toEqual([`a:${jobId}`, `b:${jobId}`]);
    expect((await env.store.getJob(jobId))?.attempts).toBe(1);
    await b.stop();
  }, 60_000);
});

describe("pg-boss across replicas", () => {
  it("never runs more than GEMINI_CONCURRENCY analyze handlers at once across two replicas on one database", async () => {
    const env = await openEngine("postgres");
    let now = 0;
    let peak = 0;
    const ranBy = new Map<string, number>();
    const handlers = (who: string): Partial<JobHandlers> => ({
      analyze: async () => {
        now++;
        peak = Math.max(peak, now);
        ranBy.set(who, (ranBy.get(who) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 150));
        now--;
      },
    });
    // Each replica may run 2 at once on its own; the bound is 2 for both together.
    const groups: WorkerGroup[] = [{ name: "analyze", kinds: ["analyze"], concurrency: 2, global: true }];
    const a = await backendFor("postgres", env, handlers("a"), { groups, workerId: "a" });
    const b = await backendFor("postgres", env, handlers("b"), { groups, workerId: "b" });
    for (let i = 0; i < 16; i++) await queueAnalysis(env.store);
    a.kick();
    b.kick();
    await until("all analyses to run", async () => (await env.store.jobCounts()).done === 16, 60_000);
    expect(peak).toBeLessThanOrEqual(2);
    expect(peak).toBe(2);
    expect((ranBy.get("a") ?? 0) + (ranBy.get("b") ?? 0)).toBe(16);
  }, 90_000);

  it("a replica killed with -9 mid-job: the job runs again on the other replica after its heartbeat timeout", async () => {
    const env = await openEngine("postgres");
    const { jobId } = await queueAnalysis(env.store, 3);
    const child = spawn(process.execPath, ["--import", "tsx", "test/jobs/pg-crash-child.ts", env.url], { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] });
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    await until(`the child to hold the job (stderr: ${err.slice(0, 500)})`, async () => out.includes(`started ${jobId}`), 30_000);
    expect((await env.store.getJob(jobId))?.status).toBe("running");
    child.kill("SIGKILL");

    let ranHere = 0;
    await backendFor(
      "postgres",
      env,
      {
        analyze: async () => {
          ranHere++;
        },
      },
      { heartbeatSeconds: 10, workerId: "survivor" },
    );
    await until("the survivor to finish the job", async () => (await env.store.getJob(jobId))?.status === "done", 45_000);
    expect(ranHere).toBe(1);
    expect((await env.store.getJob(jobId))?.attempts).toBe(2);
  }, 90_000);

  it("names the schema and the grant when the role may not create pg-boss's schema", async () => {
    const env = await openEngine("postgres");
    const admin = new pg.Client({ connectionString: env.url });
    await admin.connect();
    const role = `limited_${randomUUID().slice(0, 8)}`;
    await admin.query(`create role ${role} login`);
    await admin.end();
    const url = new URL(env.url);
    url.username = role;
    const e = await createPgBossJobBackend({ store: env.store, databaseUrl: url.toString(), handlers: {}, groups: ALL }).catch((x: unknown) => x);
    expect(isAppError(e) && e.code).toBe("not_configured");
    expect(isAppError(e) && `${e.message} ${e.hint}`).toMatch(/triage_jobs.*CREATE SCHEMA triage_jobs AUTHORIZATION/s);
  }, 60_000);
});

describe("pg-boss and the ledger after crashes", () => {
  it("settles or re-sends ledger rows whose pg-boss job ended or vanished without a worker recording it, once across two replicas", async () => {
    const env = await openEngine("postgres");
    const ran: string[] = [];
    const options = (workerId: string) => ({
      store: env.store,
      databaseUrl: env.url,
      handlers: { analyze: async (_p: unknown, job: { id: string }) => void ran.push(job.id) } as Partial<JobHandlers>,
      groups: ALL,
      pollIntervalMs: 30,
      retryDelaySeconds: 0,
      superviseIntervalSeconds: 1,
      workerId,
    });
    // Creating a backend creates pg-boss's schema and queues; the workers start once the states below are in place.
    const a = await createPgBossJobBackend(options("a"));
    const b = await createPgBossJobBackend(options("b"));
    cleanups.push(() => a.stop({ timeoutMs: 200 }), () => b.stop({ timeoutMs: 200 }));

    const lost = await queueAnalysis(env.store, 1);
    const handBack = await queueAnalysis(env.store, 3);
    const panelRetry = await queueAnalysis(env.store, 3);
    const vanished = await queueAnalysis(env.store, 3);
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
    const q = queueName("analyze");
    const boss = new PgBoss({ connectionString: env.url, schema: "triage_jobs", supervise: false, schedule: false });
    await boss.start();
    try {
      // lost: a worker fetched the last attempt and died before claiming the row; pg-boss failed it (heartbeat timeout).
      // handBack: a worker stopping cancelled the job to resume it and died in between.
      // panelRetry: the panel's retry queued the row again and the process died before deleting the old failed job.
      for (const { jobId } of [lost, handBack, panelRetry]) await boss.insert(q, [{ id: jobId, data: { jobId }, retryLimit: 0 }]);
      const fetched = await boss.fetch(q, { batchSize: 3 });
      expect(fetched).toHaveLength(3);
      await boss.fail(q, fetched.filter((j) => j.id !== handBack.jobId).map((j) => ({ id: j.id, retryCount: j.retryCount })), { message: "heartbeat timeout" });
      await boss.cancel(q, handBack.jobId);
    } finally {
      await boss.stop({ graceful: false, close: true });
    }
    await sql`update triage_jobs.job set completed_on = now() - interval '10 minutes' where id in (${lost.jobId}::uuid, ${handBack.jobId}::uuid, ${panelRetry.jobId}::uuid)`.execute(env.store.db);
    await env.store.db.updateTable("jobs").set({ updated_at: minutesAgo(20) }).where("id", "in", [lost.jobId, handBack.jobId]).execute();
    await env.store.db.updateTable("jobs").set({ updated_at: minutesAgo(5) }).where("id", "=", panelRetry.jobId).execute();
    // vanished: claimed by a worker that died, and its pg-boss job is gone.
    await env.store.db
      .updateTable("jobs")
      .set({ status: "running", locked_by: "dead", attempts: 1, locked_at: minutesAgo(12), lease_expires_at: minutesAgo(11), updated_at: minutesAgo(11) })
      .where("id", "=", vanished.jobId)
      .execute();

    await a.start();
    await b.start();
    const done = [handBack.jobId, panelRetry.jobId, vanished.jobId];
    await until("the stranded rows to settle", async () => {
      const jobs = await Promise.all([lost, ...[handBack, panelRetry, vanished]].map((x) => env.store.getJob(x.jobId)));
      return jobs[0]?.status === "failed" && jobs.slice(1).every((j) => j?.status === "done");
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(ran.sort()).toEqual([...done].sort());
    expect(await env.store.getJob(lost.jobId)).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/stopped before recording it.*heartbeat timeout/) });
    expect(await env.store.getAnalysis(lost.analysisId)).toMatchObject({ status: "failed", error: expect.stringContaining("stopped before recording it") });
    expect(await env.store.getJob(handBack.jobId)).toMatchObject({ attempts: 1 });
    expect(await env.store.getJob(vanished.jobId)).toMatchObject({ attempts: 2 });
  }, 90_000);

  it("a handler whose global-slot lock connection is terminated stops and hands its job back: never more than N handlers at once", async () => {
    const env = await openEngine("postgres");
    let now = 0;
    let peak = 0;
    const started: string[] = [];
    const aborted: string[] = [];
    // Model work: a 2 s call that stops when its signal aborts, as the Gemini client's fetch does.
    const handlers = (who: string): Partial<JobHandlers> => ({
      analyze: async (_p, job, ctx) => {
        now++;
        peak = Math.max(peak, now);
        started.push(`${who}:${job.id}`);
        try {
          await new Promise<void>((resolve, reject) => {
            const t = setTimeout(resolve, 2000);
            ctx.signal.addEventListener("abort", () => {
              clearTimeout(t);
              aborted.push(`${who}:${job.id}`);
              reject(ctx.signal.reason);
            });
          });
        } finally {
          now--;
        }
      },
    });
    const groups: WorkerGroup[] = [{ name: "analyze", kinds: ["analyze"], concurrency: 1, global: true }];
    const jobs = [];
    for (let i = 0; i < 3; i++) jobs.push(await queueAnalysis(env.store));
    const a = await backendFor("postgres", env, handlers("a"), { groups, workerId: "a" });
    await until("a to run a job", async () => started.length === 1);
    await backendFor("postgres", env, handlers("b"), { groups, workerId: "b" });
    await new Promise((r) => setTimeout(r, 200));
    expect(started).toHaveLength(1);

    const admin = new pg.Client({ connectionString: env.url });
    await admin.connect();
    cleanups.push(() => admin.end());
    const killed = await admin.query(
      `select pg_terminate_backend(pid) as ok from pg_locks
       where locktype = 'advisory' and granted and classid = $1::oid and database = (select oid from pg_database where datname = current_database())`,
      [0x7472_6a62],
    );
    expect(killed.rows).toEqual([{ ok: true }]);

    await until("all analyses to run", async () => (await env.store.jobCounts()).done === 3, 60_000);
    expect(peak).toBe(1);
    expect(aborted).toEqual(started.slice(0, 1));
    expect(a.running()).toBe(0);
    // The interrupted attempt was handed back, not counted.
    for (const { jobId } of jobs) expect((await env.store.getJob(jobId))?.attempts).toBe(1);
  }, 90_000);
});
