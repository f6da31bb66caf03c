import { afterEach, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { openStore, type Store } from "@/lib/store";
import { STORE_DIALECTS, testDatabase } from "@/test/helpers/store";
import { manualClock } from "./helpers";

/** An analysis follows its job: no terminal job state leaves it queued or running, and only a live one is joined. */

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe.each(STORE_DIALECTS)("on %s", (dialect) => {
async function fresh() {
  const clock = manualClock();
  const db = await testDatabase(dialect);
  const store = await openStore(db.url, { now: clock.now });
  cleanups.push(db.cleanup, () => store.close());
  return { store, clock };
}

const target = { namespace: "ml-serving", pod: "bert-7d9f-abc12" };

/** An analysis with its analyze job, as the webhook writes them. */
async function analysisWithJob(store: Store, fingerprint: string, maxAttempts = 3) {
  const id = randomUUID();
  await store.enqueueAnalyses([
    {
      job: { kind: "analyze", dedupKey: `webhook:${id}`, analysisId: id, payload: { analysisId: id }, maxAttempts },
      analysis: { id, fingerprint, trigger: "webhook", target },
    },
  ]);
  return id;
}

/** Claim the job and mark its analysis running, as the analyze handler does. */
async function claimAndRun(store: Store, worker: string, leaseMs = 1000) {
  const job = await store.claimNextJob(worker, ["analyze"], { leaseMs });
  if (!job?.analysisId) throw new Error("expected an analyze job");
  await store.updateAnalysis(job.analysisId, { status: "running" });
  return job;
}

describe("every terminal job state settles its analysis", () => {
  it("a job killed on its last attempt fails its analysis with the reason, naming the dead worker", async () => {
    const { store, clock } = await fresh();
    const id = await analysisWithJob(store, "fp-zombie", 1);
    await claimAndRun(store, "node-1:4242:abcd1234");
    clock.advance(1001);
    expect(await store.requeueExpired()).toEqual({ requeued: 0, failed: 1 });
    const a = await store.getAnalysis(id);
    expect(a?.status).toBe("failed");
    expect(a?.error).toMatch(/^The analysis job failed after 1 attempt: Interrupted on its last attempt: its worker node-1:4242:abcd1234 stopped renewing its lease/);
    expect(a?.finishedAt).toBe(clock.now().toISOString());
  });

  it("a job requeued after its worker died puts its analysis back to queued, with the old progress cleared", async () => {
    const { store, clock } = await fresh();
    const id = await analysisWithJob(store, "fp-requeue", 3);
    const job = await claimAndRun(store, "node-1:1:dead");
    await store.updateAnalysis(id, { progress: { pod: { status: "done" } } });
    clock.advance(1001);
    expect(await store.requeueExpired()).toEqual({ requeued: 1, failed: 0 });
    const a = await store.getAnalysis(id);
    expect(a).toMatchObject({ status: "queued" });
    expect(a?.progress).toBeUndefined();
    expect((await store.getJob(job.id))?.status).toBe("queued");
  });

  it("failJob: a retry says queued, the final failure says failed with the error and attempts", async () => {
    const { store } = await fresh();
    const id = await analysisWithJob(store, "fp-fail", 2);
    const job = await claimAndRun(store, "w");
    await store.failJob(job.id, "database is locked", { retryInMs: 0, workerId: "w" });
    expect((await store.getAnalysis(id))?.status).toBe("queued");
    await claimAndRun(store, "w");
    await store.failJob(job.id, "database is locked again", { workerId: "w" });
    expect(await store.getAnalysis(id)).toMatchObject({ status: "failed", error: "The analysis job failed after 2 attempts: database is locked again" });

    // A person retries the failed job from the queue panel: the analysis waits again.
    await store.retryJob(job.id);
    expect(await store.getAnalysis(id)).toMatchObject({ status: "queued" });
    expect((await store.getAnalysis(id))?.error).toBeUndefined();
  });

  it("a job that ends done while its handler left the analysis running fails it; a finished analysis stays as it is", async () => {
    const { store } = await fresh();
    const left = await analysisWithJob(store, "fp-left", 1);
    const j1 = await claimAndRun(store, "w");
    expect(await store.completeJob(j1.id, "w")).toBe(true);
    expect(await store.getAnalysis(left)).toMatchObject({ status: "failed", error: "Its job ended without recording a result." });

    const ok = await analysisWithJob(store, "fp-ok", 1);
    const j2 = await claimAndRun(store, "w");
    await store.updateAnalysis(ok, { status: "done" });
    await store.completeJob(j2.id, "w");
    expect((await store.getAnalysis(ok))?.status).toBe("done");
  });

  it("a handed-back job says queued, and a file_issue job never touches its analysis", async () => {
    const { store } = await fresh();
    const id = await analysisWithJob(store, "fp-release", 3);
    const job = await claimAndRun(store, "w");
    expect(await store.releaseJob(job.id, "w")).toBe(true);
    expect((await store.getAnalysis(id))?.status).toBe("queued");

    await store.updateAnalysis(id, { status: "done" });
    const { job: file } = await store.enqueueJob({ kind: "file_issue", dedupKey: `file:${id}`, analysisId: id, payload: { analysisId: id }, maxAttempts: 1 });
    await store.claimNextJob("w", ["file_issue"]);
    await store.failJob(file.id, "GitHub 401", { permanent: true });
    expect((await store.getAnalysis(id))?.status).toBe("done");
  });
});

describe("joining an analysis", () => {
  it("joins a queued or live running one, never one whose job failed, vanished or lost its lease; those are settled", async () => {
    const { store, clock } = await fresh();
    // Each job is claimed right after it is queued (claims take the oldest), the queued one comes last.
    const live = await analysisWithJob(store, "fp-live");
    await claimAndRun(store, "w-live", 60_000);
    expect((await store.findActiveAnalysis("fp-live"))?.id).toBe(live);

    // Killed on its last attempt: the job failed but (as before this fix) the analysis still says running.
    const dead = await analysisWithJob(store, "fp-dead", 1);
    const deadJob = await claimAndRun(store, "w-dead", 60_000);
    await store.db.updateTable("jobs").set({ status: "failed", last_error: "Interrupted", locked_by: null }).where("id", "=", deadJob.id).execute();
    expect(await store.findActiveAnalysis("fp-dead")).toBeUndefined();

    // Its worker stopped renewing: the lease expired, no sweep has run yet.
    const stale = await analysisWithJob(store, "fp-stale");
    const staleJob = await claimAndRun(store, "node-9:99:gone", 1000);
    clock.advance(1001);
    expect(await store.findActiveAnalysis("fp-stale")).toBeUndefined();
    expect((await store.findActiveAnalysis("fp-live"))?.id).toBe(live);

    // No job at all (the process stopped between the two writes).
    const orphan = (await store.createAnalysis({ fingerprint: "fp-orphan", trigger: "manual", target, status: "running" })).id;
    expect(await store.findActiveAnalysis("fp-orphan")).toBeUndefined();

    const queued = await analysisWithJob(store, "fp-queued");
    expect((await store.findActiveAnalysis("fp-queued"))?.id).toBe(queued);

    expect(await store.settleStaleAnalyses("fp-dead")).toBe(1);
    expect(await store.getAnalysis(dead)).toMatchObject({ status: "failed", error: "The analysis job failed after 1 attempt: Interrupted" });
    expect(await store.settleStaleAnalyses("fp-stale")).toBe(1);
    expect((await store.getAnalysis(stale))?.error).toMatch(/its worker node-9:99:gone stopped renewing the job's lease/);
    // The abandoned job fails too, so no sweep revives it beside the analysis that replaces it.
    expect((await store.getJob(staleJob.id))?.status).toBe("failed");
    expect(await store.requeueExpired()).toEqual({ requeued: 0, failed: 0 });
    expect(await store.settleStaleAnalyses("fp-orphan")).toBe(1);
    expect((await store.getAnalysis(orphan))?.error).toMatch(/job is missing/);
    // Live ones are left alone.
    expect(await store.settleStaleAnalyses("fp-live")).toBe(0);
    expect(await store.settleStaleAnalyses("fp-queued")).toBe(0);
    expect((await store.getAnalysis(queued))?.status).toBe("queued");
  });
});
});
