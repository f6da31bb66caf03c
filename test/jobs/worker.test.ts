import { afterEach, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { AppError } from "@/lib/errors";
import { createWorker, enqueueAndKick, type Worker } from "@/lib/jobs/worker";
import { openStore, type Job, type Store } from "@/lib/store";
import { tempDb } from "../store/helpers";
import { openEffects } from "./effects";

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function setup(): Promise<{ store: Store; db: ReturnType<typeof tempDb> }> {
  const db = tempDb();
  const store = await openStore(db.url);
  cleanups.push(db.cleanup, () => store.close());
  return { store, db };
}

function track(worker: Worker): Worker {
  cleanups.push(() => worker.stop());
  return worker;
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe("worker", () => {
  it("gives the event loop a turn between jobs: a timer set while 2,000 cheap jobs run fires before they are all done", async () => {
    const { store } = await setup();
    const total = 2000;
    await store.enqueueJobs(Array.from({ length: total }, (_, i) => ({ kind: "resolve" as const, dedupKey: `cheap-${i}`, payload: { fingerprint: `fp-${i}`, endsAt: "2026-01-01T00:00:00Z" } })));
    let ran = 0;
    // The handlers never wait for I/O: only the worker itself can let the timer in.
    const worker = track(createWorker({ store, concurrency: 4, handlers: { resolve: async () => void ran++ } }));
    await worker.start();
    const ranWhenTimerFired = new Promise<number>((r) => setTimeout(() => r(ran), 0));
    await worker.drain();
    expect(ran).toBe(total);
    expect(await ranWhenTimerFired).toBeLessThan(total);
  }, 120_000);

  it("drains 500 jobs with never more than `concurrency` handlers at once, each job once", async () => {
    const { store } = await setup();
    for (let i = 0; i < 500; i++) await store.enqueueJob({ kind: "analyze", dedupKey: `j${i}`, payload: { analysisId: `a-${i}` } });
    let inside = 0;
    let maxInside = 0;
    const calls = new Map<string, number>();
    const worker = track(
      createWorker({
        store,
        concurrency: 3,
        pollIntervalMs: 20,
        handlers: {
          analyze: async (_payload, job) => {
            inside++;
            maxInside = Math.max(maxInside, inside);
            calls.set(job.id, (calls.get(job.id) ?? 0) + 1);
            await pause(Math.random() * 3);
            inside--;
          },
        },
      }),
    );
    await worker.start();
    await worker.drain();
    expect(maxInside).toBe(3);
    expect(calls.size).toBe(500);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect(await store.jobCounts()).toEqual({ queued: 0, running: 0, done: 500, failed: 0 });
    expect(worker.running()).toBe(0);
  });

  it("retries a throwing handler, then fails the job with its error", async () => {
    const { store } = await setup();
    let flakyCalls = 0;
    let brokenCalls = 0;
    const worker = track(
      createWorker({
        store,
        pollIntervalMs: 20,
        handlers: {
          analyze: async (_payload, job) => {
            if (job.dedupKey === "flaky") {
              flakyCalls++;
              if (flakyCalls === 1) throw new AppError("upstream", "Gemini answered 503", { retryAfterSeconds: 0 });
              return;
            }
            brokenCalls++;
            throw new AppError("upstream", "Gemini answered 500", { retryAfterSeconds: 0 });
          },
        },
      }),
    );
    await worker.start();
    await enqueueAndKick(store, worker, { kind: "analyze", dedupKey: "flaky", payload: { analysisId: "flaky" } });
    const broken = await enqueueAndKick(store, worker, { kind: "analyze", dedupKey: "broken", payload: { analysisId: "broken" }, maxAttempts: 3 });
    await worker.drain();
    expect(flakyCalls).toBe(2);
    expect(brokenCalls).toBe(3);
    const job = await store.getJob(broken.job.id);
    expect(job).toMatchObject({ status: "failed", attempts: 3, lastError: "Gemini answered 500" });
    expect(await store.jobCounts()).toMatchObject({ done: 1, failed: 1 });
  });

  it("fails at once on errors a retry cannot fix and on a kind it has no handler for", async () => {
    const { store } = await setup();
    let calls = 0;
    const worker = track(
      createWorker({
        store,
        pollIntervalMs: 20,
        handlers: {
          analyze: async () => {
            calls++;
            throw new AppError("unprocessable", "payload has no fingerprint");
          },
        },
      }),
    );
    await worker.start();
    const bad = await enqueueAndKick(store, worker, { kind: "analyze", dedupKey: "bad", payload: { analysisId: "bad" } });
    const orphan = await enqueueAndKick(store, worker, { kind: "file_issue", dedupKey: "orphan", payload: { analysisId: "orphan" } });
    await worker.drain();
    expect(calls).toBe(1);
    expect(await store.getJob(bad.job.id)).toMatchObject({ status: "failed", attempts: 1 });
    const o = await store.getJob(orphan.job.id);
    expect(o?.status).toBe("failed");
    expect(o?.lastError).toMatch(/No handler for job kind "file_issue"/);
  });

  it("parses each payload against its kind's schema once: a payload that does not match fails the job at once with the reason, and the handler never runs", async () => {
    const { store } = await setup();
    const seen: unknown[] = [];
    const worker = track(
      createWorker({
        store,
        pollIntervalMs: 20,
        handlers: {
          analyze: async (payload) => void seen.push(payload),
          resolve: async (payload) => void seen.push(payload),
        },
      }),
    );
    await worker.start();
    // Written around the typed enqueue, as an older version or a hand-edited row would have.
    const noId = await store.enqueueJob({ kind: "analyze", dedupKey: "no-id", payload: { file: true }, maxAttempts: 3 });
    const badFingerprint = await store.enqueueJob({ kind: "resolve", dedupKey: "bad-fp", payload: { fingerprint: 42, endsAt: "2026-01-01T00:00:00Z" }, maxAttempts: 3 });
    const good = await store.enqueueJob({ kind: "analyze", dedupKey: "good", payload: { analysisId: "a-1" } });
    worker.kick();
    await worker.drain();
    // The handler got the parsed payload, defaults filled in.
    expect(seen).toEqual([{ analysisId: "a-1", file: false }]);
    expect(await store.getJob(good.job.id)).toMatchObject({ status: "done" });
    const a = await store.getJob(noId.job.id);
    expect(a).toMatchObject({ status: "failed", attempts: 1 });
    expect(a?.lastError).toMatch(/analyze job's payload does not match its schema \(analysisId: /);
    const r = await store.getJob(badFingerprint.job.id);
    expect(r).toMatchObject({ status: "failed", attempts: 1 });
    expect(r?.lastError).toMatch(/resolve job's payload does not match its schema \(fingerprint: .*expected string/i);
  });

  it("refuses to enqueue a payload that does not match its kind, naming the field", async () => {
    const { store } = await setup();
    const wrong = { kind: "file_issue", dedupKey: "f", payload: { analysisId: "" } } as const;
    await expect(enqueueAndKick(store, { kick() {} }, wrong)).rejects.toMatchObject({ code: "unprocessable", message: expect.stringMatching(/file_issue job's payload .*analysisId/) });
    expect(await store.jobCounts()).toMatchObject({ queued: 0 });
  });

  it("resumes jobs a dead worker left running when it starts, once their lease has expired", async () => {
    const { store } = await setup();
    await store.enqueueJob({ kind: "resolve", dedupKey: "r1", payload: { fingerprint: "fp-r1", endsAt: "2026-01-01T00:00:00Z" } });
    await store.claimNextJob("dead-worker", undefined, { leaseMs: 1 });
    while (Date.parse((await store.listJobs())[0]?.leaseExpiresAt ?? "") >= Date.now()) await pause(2);
    const seen: Job[] = [];
    const worker = track(createWorker({ store, handlers: { resolve: async (_payload, job) => void seen.push(job) } }));
    await worker.start();
    await worker.drain();
    expect(seen).toHaveLength(1);
    expect(seen[0]?.attempts).toBe(2);
    expect(await store.jobCounts()).toMatchObject({ done: 1, running: 0 });
  });

  it("stop() waits for running handlers; past its bound it aborts them and puts the jobs back", async () => {
    const { store } = await setup();
    await store.enqueueJob({ kind: "analyze", dedupKey: "quick", payload: { analysisId: "quick" } });
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const started: string[] = [];
    const w1 = createWorker({
      store,
      handlers: {
        analyze: async (_payload, job) => {
          started.push(job.dedupKey);
          await gate;
        },
      },
    });
    await w1.start();
    while (started.length === 0) await pause(5);
    const stopping = w1.stop();
    release();
    await stopping;
    expect(await store.jobCounts()).toMatchObject({ done: 1, running: 0 });

    await store.enqueueJob({ kind: "analyze", dedupKey: "stuck", payload: { analysisId: "stuck" } });
    let aborted = false;
    const w2 = createWorker({
      store,
      stopTimeoutMs: 10,
      handlers: {
        analyze: (_payload, _job, { signal }) =>
          new Promise<void>((_, reject) => {
            signal.addEventListener("abort", () => {
              aborted = true;
              reject(signal.reason);
            });
          }),
      },
    });
    await w2.start();
    while (w2.running() === 0) await pause(5);
    await w2.stop();
    expect(aborted).toBe(true);
    const stuck = (await store.listJobs({ limit: 10 })).find((j) => j.dedupKey === "stuck");
    expect(stuck).toMatchObject({ status: "queued", attempts: 0 });
  });

  it("stop() hands back a job whose handler ignores the abort: queued at once, attempt uncounted, and its late finish records nothing", async () => {
    const { store } = await setup();
    const analysis = await store.createAnalysis({ fingerprint: "fp", trigger: "manual", target: { namespace: "ns", pod: "p" } });
    const { job } = await store.enqueueJob({ kind: "analyze", dedupKey: "deaf", analysisId: analysis.id, payload: { analysisId: analysis.id } });
    let finish: () => void = () => {};
    const deaf = new Promise<void>((r) => (finish = r));
    const worker = createWorker({
      store,
      handlers: {
        analyze: async () => {
          await store.updateAnalysis(analysis.id, { status: "running" });
          await deaf;
        },
      },
    });
    await worker.start();
    while ((await store.getAnalysis(analysis.id))?.status !== "running") await pause(5);
    expect((await store.getJob(job.id))?.lockedBy).toBe(worker.id);
    await worker.stop({ timeoutMs: 10 });
    expect(await store.getJob(job.id)).toMatchObject({ status: "queued", attempts: 0 });
    expect((await store.getJob(job.id))?.lockedBy).toBeUndefined();
    expect((await store.getAnalysis(analysis.id))?.status).toBe("queued");
    finish();
    await pause(20);
    expect((await store.getJob(job.id))?.status).toBe("queued");
  });

  it("renews its leases while a handler runs, and aborts a handler whose lease another process took over", async () => {
    const { store } = await setup();
    const { job } = await store.enqueueJob({ kind: "analyze", dedupKey: "slow", payload: { analysisId: "slow" } });
    let aborted: unknown;
    const worker = track(
      createWorker({
        store,
        leaseMs: 200,
        heartbeatMs: 20,
        sweepExpired: false,
        handlers: {
          analyze: (_payload, _job, { signal }) =>
            new Promise<void>((_, reject) =>
              signal.addEventListener("abort", () => {
                aborted = signal.reason;
                reject(signal.reason);
              }),
            ),
        },
      }),
    );
    await worker.start();
    while (worker.running() === 0) await pause(5);
    const first = (await store.getJob(job.id))?.leaseExpiresAt ?? "";
    while (((await store.getJob(job.id))?.leaseExpiresAt ?? "") <= first) await pause(10);

    // Another process decided the lease had expired (this one hung) and requeued it for someone else.
    await store.db.updateTable("jobs").set({ status: "queued", locked_by: null, lease_expires_at: null }).where("id", "=", job.id).execute();
    await store.claimNextJob("other-process");
    while (!aborted) await pause(5);
    expect(aborted).toMatchObject({ code: "conflict" });
    while (worker.running() > 0) await pause(5);
    expect(await store.getJob(job.id)).toMatchObject({ status: "running", lockedBy: "other-process", attempts: 2 });
  });

  it("refuses to drain when not started", async () => {
    const { store } = await setup();
    await expect(createWorker({ store, handlers: {} }).drain()).rejects.toMatchObject({ code: "conflict" });
  });
});

describe("kill -9 mid-storm", () => {
  it("loses and duplicates nothing: a new process resumes and finishes every job once", async () => {
    const { db } = await setup();
    const effectsPath = join(db.dir, "effects.sqlite");
    const child = spawn(process.execPath, ["--import", "tsx", "test/jobs/child-worker.ts", db.path, effectsPath, "300"], {
      cwd: process.cwd(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const killedAt = await new Promise<number>((resolve, reject) => {
      let buffer = "";
      child.stdout.on("data", (d: Buffer) => {
        buffer += d.toString();
        const effects = buffer.match(/^effect \d+$/gm)?.length ?? 0;
        if (effects >= 40 && child.exitCode === null && !child.killed) {
          child.kill("SIGKILL");
          resolve(effects);
        }
      });
      child.on("exit", (code, signal) => {
        if (signal !== "SIGKILL") reject(new Error(`child exited early (code ${code}): ${stderr}`));
      });
    });
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once("exit", r)));
    expect(killedAt).toBeGreaterThanOrEqual(40);

    const store = await openStore(db.url);
    cleanups.push(() => store.close());
    const before = await store.jobCounts();
    expect(before.queued + before.running + before.done).toBe(300);
    expect(before.done).toBeLessThan(300);
    expect(before.running).toBeGreaterThan(0);

    const effects = openEffects(effectsPath);
    cleanups.push(() => effects.close());
    const worker = track(
      createWorker({
        store,
        concurrency: 4,
        pollIntervalMs: 20,
        sweepIntervalMs: 25,
        handlers: { analyze: async (_payload, job) => effects.record(job.id, job.dedupKey) },
      }),
    );
    await worker.start();
    await worker.drain();

    const jobs = await store.listJobs({ limit: 1000 });
    expect(jobs).toHaveLength(300);
    expect(new Set(jobs.map((j) => j.dedupKey)).size).toBe(300);
    expect(jobs.every((j) => j.status === "done")).toBe(true);
    const recorded = effects.all();
    expect(recorded).toHaveLength(300);
    expect(new Set(recorded.map((e) => e.job_id))).toEqual(new Set(jobs.map((j) => j.id)));
    expect(new Set(recorded.map((e) => e.dedup_key))).toEqual(new Set(Array.from({ length: 300 }, (_, i) => `storm-${i}`)));
  });
});
