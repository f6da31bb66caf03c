import { afterEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { createWorker, type Worker } from "@/lib/jobs/worker";
import { openStore, type Store } from "@/lib/store";
import { tempDb } from "../store/helpers";

/**
 * Two real processes on one SQLite file: a second process (this one) started beside a live worker
 * (the child) must not take its running job; once the child is killed with SIGKILL, the job comes back
 * only after the child's lease has expired. Lease times are short and come from options; every wait is
 * for an event, bounded generously.
 */

const LEASE_MS = 1500;

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(20);
  }
}

/** Start the child worker; resolves with its worker id once it holds a job. */
function startChild(dbPath: string): Promise<{ child: ChildProcess; owner: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/jobs/lease-child.ts", dbPath, String(LEASE_MS)], {
    cwd: process.cwd(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let out = "";
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const owner = /^owner (\S+)$/m.exec(out)?.[1];
      if (owner && /^started \S+$/m.test(out)) resolve({ child, owner });
    });
    child.on("exit", (code, signal) => reject(new Error(`child exited early (code ${code}, signal ${signal}): ${err}`)));
  });
}

async function killed(child: ChildProcess): Promise<void> {
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await gone;
}

async function setup() {
  const db = tempDb();
  const store = await openStore(db.url);
  cleanups.push(db.cleanup, () => store.close());
  return { db, store };
}

async function queueAnalysis(store: Store, fingerprint: string, maxAttempts: number) {
  const id = randomUUID();
  await store.enqueueAnalyses([
    {
      job: { kind: "analyze", dedupKey: `webhook:${id}`, analysisId: id, payload: { analysisId: id }, maxAttempts },
      analysis: { id, fingerprint, trigger: "webhook", target: { namespace: "ml", pod: "p" } },
    },
  ]);
  const job = (await store.listJobs({ limit: 10 })).find((j) => j.analysisId === id);
  if (!job) throw new Error("job not written");
  return { analysisId: id, jobId: job.id };
}

describe("two processes on one database", () => {
  it("a second process leaves the first one's running job alone, and takes it over only after kill -9 and lease expiry", async () => {
    const { db, store } = await setup();
    const { analysisId, jobId } = await queueAnalysis(store, "fp-two", 3);
    const { child, owner } = await startChild(db.path);
    expect(owner).toMatch(new RegExp(`^${hostname()}:${child.pid}:[0-9a-f]{8}$`));
    const held = await store.getJob(jobId);
    expect(held).toMatchObject({ status: "running", lockedBy: owner, attempts: 1 });

    const ran: { at: number; attempts: number }[] = [];
    let second: Worker | undefined = createWorker({
      store,
      leaseMs: LEASE_MS,
      sweepIntervalMs: 25,
      pollIntervalMs: 20,
      handlers: {
        analyze: async (_payload, job) => {
          ran.push({ at: Date.now(), attempts: job.attempts });
          if (job.analysisId) await store.updateAnalysis(job.analysisId, { status: "done", finishedAt: new Date() });
        },
      },
    });
    cleanups.push(() => second?.stop());
    const startedAt = Date.now();
    await second.start();
    expect(second.id).not.toBe(owner);

    // Wait until the child has renewed past two of its original leases: the second process swept all
    // along (every 25 ms, and at start), and the child's job must still be its own.
    const renewedUntil = await until("the child to renew its lease", async () => {
      if (ran.length > 0) throw new Error("the second process took and ran the first one's live job");
      const j = await store.getJob(jobId);
      const at = Date.parse(j?.leaseExpiresAt ?? "");
      return at > startedAt + 2 * LEASE_MS ? at : false;
    });
    expect(ran).toEqual([]);
    expect(await store.getJob(jobId)).toMatchObject({ status: "running", lockedBy: owner, attempts: 1 });
    expect((await store.getAnalysis(analysisId))?.status).toBe("running");

    const lastSeen = Date.parse((await store.getJob(jobId))?.leaseExpiresAt ?? "");
    expect(lastSeen).toBeGreaterThanOrEqual(renewedUntil);
    await killed(child);

    await until("the second process to run the job", async () => ran.length > 0);
    // Not before the dead owner's lease ran out (it may have renewed once more after we looked).
    expect(ran[0]?.at).toBeGreaterThanOrEqual(lastSeen);
    expect(ran).toHaveLength(1);
    expect(ran[0]?.attempts).toBe(2);
    await second.drain({ timeoutMs: 30_000 });
    expect(await store.getJob(jobId)).toMatchObject({ status: "done" });
    expect((await store.getAnalysis(analysisId))?.status).toBe("done");
    await second.stop();
    second = undefined;
  });

  it("a job killed on its last attempt fails once its lease expires, and its analysis fails with the reason instead of running forever", async () => {
    const { db, store } = await setup();
    const { analysisId, jobId } = await queueAnalysis(store, "fp-last", 1);
    const { child, owner } = await startChild(db.path);
    // While the lease holds nobody can tell a dead owner from a slow one: the analysis may be joined.
    expect((await store.findActiveAnalysis("fp-last"))?.id).toBe(analysisId);
    await killed(child);
    expect((await store.getAnalysis(analysisId))?.status).toBe("running");
    const expiry = Date.parse((await store.getJob(jobId))?.leaseExpiresAt ?? "");
    await until("the dead owner's lease to expire", async () => Date.now() > expiry);
    // No process has swept yet, but an analysis whose lease expired is not one to join.
    expect(await store.findActiveAnalysis("fp-last")).toBeUndefined();

    const worker = createWorker({ store, leaseMs: LEASE_MS, sweepIntervalMs: 25, pollIntervalMs: 20, handlers: {} });
    cleanups.push(() => worker.stop());
    await worker.start();
    const failed = await until("the sweep to fail the job", async () => {
      const j = await store.getJob(jobId);
      return j?.status === "failed" ? j : false;
    });
    expect(failed.lastError).toContain(`its worker ${owner} stopped renewing its lease`);
    const a = await store.getAnalysis(analysisId);
    expect(a?.status).toBe("failed");
    expect(a?.error).toContain(owner);
  });
});
