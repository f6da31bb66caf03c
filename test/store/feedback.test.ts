import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "@/lib/store";
import { manualClock, sampleReport } from "@/test/store/helpers";
import { rawQuery, STORE_DIALECTS, testDatabase, type TestDatabase } from "@/test/helpers/store";

async function doneAnalysis(store: Store, fingerprint: string, source: "gemini" | "offline" = "gemini") {
  const a = await store.createAnalysis({ fingerprint, trigger: "manual" });
  return store.updateAnalysis(a.id, { status: "done", report: sampleReport(`cause of ${fingerprint}`, { source }) });
}

describe.each(STORE_DIALECTS)("feedback in the store (%s)", (dialect) => {
  let db: TestDatabase;
  let store: Store;
  const clock = manualClock();

  beforeEach(async () => {
    db = await testDatabase(dialect, "feedback");
    store = await openStore(db.url, { now: clock.now });
  });
  afterEach(async () => {
    await store.close();
    db.cleanup();
  });

  it("keeps every submission and answers the latest per analysis (feedbackFor)", async () => {
    const a = await doneAnalysis(store, "fp-a");
    const b = await doneAnalysis(store, "fp-b", "offline");
    const c = await doneAnalysis(store, "fp-c");
    const first = await store.addFeedback({ analysisId: a.id, actor: "alice", rank: 2, hypothesisTitle: "Second", fix: "raised the limit", commentStatus: "no_issue" });
    clock.advance(60_000);
    const second = await store.addFeedback({ analysisId: a.id, actor: "bob", rank: null, actualCause: "a bad node", fix: "cordoned it", category: "node_pressure", commentStatus: "pending" });
    await store.addFeedback({ analysisId: b.id, actor: "carol", rank: 1, fix: "rolled back", commentStatus: "not_configured" });

    const latest = await store.feedbackFor([a.id, b.id, c.id, "no-such-id"]);
    expect([...latest.keys()].sort()).toEqual([a.id, b.id].sort());
    expect(latest.get(a.id)).toMatchObject({ id: second.id, actor: "bob", rank: null, actualCause: "a bad node", category: "node_pressure", comment: { status: "pending" } });
    expect(latest.get(b.id)).toMatchObject({ rank: 1, fix: "rolled back" });

    const history = await store.feedbackHistory(a.id);
    expect(history.map((f) => f.id)).toEqual([second.id, first.id]);
    expect(history[1]).toMatchObject({ rank: 2, hypothesisTitle: "Second", actor: "alice" });

    await store.setFeedbackComment(second.id, "posted", "https://github.com/acme/incidents/issues/3#issuecomment-9");
    expect((await store.getFeedback(second.id))?.comment).toEqual({ status: "posted", url: "https://github.com/acme/incidents/issues/3#issuecomment-9" });
  });

  it("keeps one latest feedback per analysis when many arrive at once (two engineers, two replicas)", async () => {
    const a = await doneAnalysis(store, "fp-race");
    await store.addFeedback({ analysisId: a.id, actor: "first", rank: 1, fix: "x", commentStatus: "no_issue" });
    const b = await doneAnalysis(store, "fp-race-fresh");
    // Every submission in flight together: on PostgreSQL each transaction is on its own pooled connection.
    await Promise.all([a, b].flatMap((x) => Array.from({ length: 12 }, (_, i) => store.addFeedback({ analysisId: x.id, actor: `e${i}`, rank: (i % 3) + 1, fix: `fix ${i}`, commentStatus: "no_issue" }))));
    const latest = await rawQuery<{ analysis_id: string; n: number | string }>(db, "select analysis_id, count(*) as n from feedback where latest = 1 group by analysis_id order by analysis_id");
    expect(latest.map((r) => [r.analysis_id, Number(r.n)])).toEqual([a.id, b.id].sort().map((id) => [id, 1]));
    expect(await store.feedbackCases()).toHaveLength(2);
    expect((await store.feedbackHistory(a.id)).length).toBe(13);
  });

  it("gives accuracy its cases (latest only, with the analysis's source) within the period", async () => {
    const old = await doneAnalysis(store, "fp-old");
    await store.addFeedback({ analysisId: old.id, actor: "a", rank: 1, fix: "x", commentStatus: "no_issue" });
    clock.advance(10 * 86_400_000);
    const cutoff = clock.now().toISOString();
    const a = await doneAnalysis(store, "fp-a", "offline");
    await store.addFeedback({ analysisId: a.id, actor: "a", rank: 3, fix: "x", commentStatus: "no_issue" });
    await store.addFeedback({ analysisId: a.id, actor: "a", rank: 1, fix: "x", category: undefined, commentStatus: "no_issue" });
    expect(await store.feedbackCases()).toHaveLength(2);
    const recent = await store.feedbackCases({ since: cutoff });
    expect(recent).toEqual([{ analysisId: a.id, createdAt: a.createdAt, rank: 1, source: "offline" }]);
  });

  it("pruning an analysis removes its feedback with it", async () => {
    const a = await doneAnalysis(store, "fp-a");
    await store.addFeedback({ analysisId: a.id, actor: "a", rank: 1, fix: "x", commentStatus: "no_issue" });
    clock.advance(40 * 86_400_000);
    const r = await store.prune({ days: 30, maxAnalyses: 0, auditDays: 0 });
    expect(r.analyses).toBe(1);
    expect(await store.feedbackHistory(a.id)).toEqual([]);
  });
});
