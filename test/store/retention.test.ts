import { afterEach, describe, expect, it } from "vitest";
import { openStore, type RetentionPolicy, type Store } from "@/lib/store";
import { enqueuePeriodic } from "@/lib/jobs/schedule";
import { STORE_DIALECTS, testDatabase } from "@/test/helpers/store";
import { manualClock } from "./helpers";

const DAY = 86_400_000;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.each(STORE_DIALECTS)("on %s", (dialect) => {
async function fresh() {
  const t = await testDatabase(dialect);
  const clock = manualClock("2026-01-01T00:00:00.000Z");
  const store = await openStore(t.url, { now: clock.now });
  cleanups.push(t.cleanup, () => store.close());
  return { store, clock };
}

/** A finished analysis created at the clock's time, with its done job, optionally filed as issue `issue`. */
async function finished(store: Store, fingerprint: string, issue?: number) {
  const a = await store.createAnalysis({ fingerprint, trigger: "webhook" });
  await store.enqueueJob({ kind: "analyze", dedupKey: `analyze:${a.id}`, analysisId: a.id, payload: {} });
  const job = await store.claimNextJob("w", ["analyze"]);
  await store.updateAnalysis(a.id, { status: "done", ...(issue ? { issueNumber: issue, issueUrl: `https://github.com/acme/i/issues/${issue}`, issueAction: "created" as const } : {}) });
  if (job) await store.completeJob(job.id, "w");
  return a.id;
}

const ids = async (store: Store) => new Set((await store.listAnalyses({ limit: 500 })).items.map((a) => a.id));
const policy = (p: Partial<RetentionPolicy> = {}): RetentionPolicy => ({ days: 90, maxAnalyses: 10_000, auditDays: 365, ...p });

describe("retention", () => {
  it("removes analyses and finished jobs past the age, keeps recent and active ones, and a second run finds nothing", async () => {
    const { store, clock } = await fresh();
    const old = await finished(store, "fp-old");
    const oldFailedJob = await store.enqueueJob({ kind: "resolve", dedupKey: "resolve:old", payload: {} });
    const claimed = await store.claimNextJob("w", ["resolve"]);
    await store.failJob(claimed?.id ?? "", "boom", { permanent: true, workerId: "w" });
    await store.addAudit("alice", "analysis.started", "fp-old");
    clock.advance(50 * DAY);
    const stillQueued = await store.createAnalysis({ fingerprint: "fp-queued", trigger: "webhook" });
    await store.enqueueJob({ kind: "analyze", dedupKey: `analyze:${stillQueued.id}`, analysisId: stillQueued.id, payload: {} });
    clock.advance(50 * DAY);
    const recent = await finished(store, "fp-recent");

    const r = await store.prune(policy());
    expect(r).toMatchObject({ analyses: 1, audit: 0, keptForIssues: 0 });
    // The old analysis's job and the old failed resolve job.
    expect(r.jobs).toBe(2);
    const left = await ids(store);
    expect(left.has(old)).toBe(false);
    expect(left.has(recent)).toBe(true);
    expect(left.has(stillQueued.id)).toBe(true);
    expect(await store.getJob(oldFailedJob.job.id)).toBeUndefined();
    expect((await store.jobCounts()).queued).toBe(1);

    expect(await store.prune(policy())).toEqual({ analyses: 0, jobs: 0, audit: 0, keptForIssues: 0, history: 0 });
    // Past the (longer) audit window the audit entry goes too.
    clock.advance(300 * DAY);
    expect((await store.prune(policy({ days: 0, maxAnalyses: 0 }))).audit).toBe(1);
    expect(await store.listAudit()).toEqual([]);
  });

  it("keeps only the newest RETENTION_MAX_ANALYSES, whatever their age", async () => {
    const { store, clock } = await fresh();
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      made.push(await finished(store, `fp-${i}`));
      clock.advance(1000);
    }
    const r = await store.prune(policy({ maxAnalyses: 3 }), { batchSize: 2 });
    expect(r.analyses).toBe(4);
    expect([...(await ids(store))].sort()).toEqual(made.slice(4).sort());
  });

  it("never removes what an issue that may be open links to; removes it once that issue is known closed", async () => {
    const { store, clock } = await fresh();
    const registry = store.issueRegistry();
    const filed = await finished(store, "fp-a", 7);
    await registry.saveIssue("fp-a", { number: 7, url: "https://github.com/acme/i/issues/7" });
    const commentedLater = await finished(store, "fp-b", 8);
    await registry.saveIssue("fp-b", { number: 8, url: "https://github.com/acme/i/issues/8" });
    // fp-c's issue 9 was closed on GitHub; the filer then filed 12 and the registry moved on.
    const superseded = await finished(store, "fp-c", 9);
    await registry.saveIssue("fp-c", { number: 12, url: "https://github.com/acme/i/issues/12" });
    // An issue the registry never heard of (filed by the CLI with its memory registry): not known closed.
    const unknownIssue = await finished(store, "fp-d", 15);
    clock.advance(200 * DAY);

    let r = await store.prune(policy());
    expect(r).toMatchObject({ analyses: 1, keptForIssues: 3 });
    let left = await ids(store);
    expect([filed, commentedLater, unknownIssue].every((id) => left.has(id))).toBe(true);
    expect(left.has(superseded)).toBe(false);

    await store.markIssueClosed("fp-a", 7);
    r = await store.prune(policy());
    expect(r).toMatchObject({ analyses: 1, keptForIssues: 2 });
    left = await ids(store);
    expect(left.has(filed)).toBe(false);
    expect(left.has(commentedLater)).toBe(true);

    // A new issue for the fingerprint reopens the protection for analyses that link to it.
    await registry.saveIssue("fp-a", { number: 20, url: "https://github.com/acme/i/issues/20" });
    const refiled = await finished(store, "fp-a", 20);
    clock.advance(200 * DAY);
    await store.prune(policy());
    expect((await ids(store)).has(refiled)).toBe(true);
  });

  it("deletes in bounded batches and lets the event loop run between them", async () => {
    const { store, clock } = await fresh();
    for (let i = 0; i < 60; i++) await store.createAnalysis({ fingerprint: `fp-${i}`, trigger: "webhook", status: "done" });
    clock.advance(100 * DAY);
    let ticks = 0;
    let running = true;
    const spin = () => {
      ticks++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    const r = await store.prune(policy(), { batchSize: 5 });
    running = false;
    expect(r.analyses).toBe(60);
    // Twelve batches: other work (here a setImmediate loop) ran between them.
    expect(ticks).toBeGreaterThanOrEqual(11);
  });

  it("enqueues the periodic prune at most once per interval, across callers", async () => {
    const { store, clock } = await fresh();
    let kicks = 0;
    const o = { store, worker: { kick: () => kicks++ }, kind: "prune" as const, intervalMs: 3600_000, now: clock.now };
    expect(await enqueuePeriodic(o)).toBe(true);
    expect(await enqueuePeriodic(o)).toBe(false);
    clock.advance(30 * 60_000);
    expect(await enqueuePeriodic({ ...o })).toBe(false);
    clock.advance(30 * 60_000);
    expect(await enqueuePeriodic(o)).toBe(true);
    expect(kicks).toBe(2);
    expect((await store.listJobs({ kind: "prune" })).length).toBe(2);
  });
});
});
