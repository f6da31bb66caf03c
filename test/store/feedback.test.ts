import { Kysely, Migrator, PostgresDialect } from "kysely";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "@/lib/store";
import { migrationProvider } from "@/lib/store/migrations";
import { feedbackCases, feedbackHistory, insertFeedback, latestFeedbackFor } from "@/lib/store/feedback";
import type { Database } from "@/lib/store/schema";
import { manualClock, sampleReport, tempDb } from "@/test/store/helpers";
import { postgresDatabase } from "@/test/helpers/postgres-database";

async function doneAnalysis(store: Store, fingerprint: string, source: "gemini" | "offline" = "gemini") {
  const a = await store.createAnalysis({ fingerprint, trigger: "manual" });
  return store.updateAnalysis(a.id, { status: "done", report: sampleReport(`cause of ${fingerprint}`, { source }) });
}

describe("feedback in the store (SQLite)", () => {
  let db: ReturnType<typeof tempDb>;
  let store: Store;
  const clock = manualClock();

  beforeEach(async () => {
    db = tempDb();
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

describe("feedback statements on PostgreSQL", () => {
  it("migration 009 and the feedback statements run on PostgreSQL", async () => {
    const pool = new pg.Pool({ connectionString: await postgresDatabase("feedback"), max: 2 });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    try {
      const r = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
      expect(r.error).toBeUndefined();
      await db
        .insertInto("analyses")
        .values({ id: "a1", fingerprint: "fp", status: "done", trigger: "manual", source: "gemini", created_at: "2026-03-01T10:00:00.000Z" })
        .execute();
      await insertFeedback(db, { analysisId: "a1", actor: "alice", rank: 2, fix: "raised the limit", commentStatus: "no_issue" }, "2026-03-01T11:00:00.000Z");
      const second = await insertFeedback(db, { analysisId: "a1", actor: "bob", rank: null, actualCause: "bad node", fix: "cordon", category: "node_pressure", commentStatus: "pending" }, "2026-03-01T12:00:00.000Z");
      expect((await latestFeedbackFor(db, ["a1", "a2"])).get("a1")).toEqual(second);
      expect((await feedbackHistory(db, "a1")).map((f) => f.actor)).toEqual(["bob", "alice"]);
      expect(await feedbackCases(db, { since: "2026-03-01T00:00:00.000Z" })).toEqual([
        { analysisId: "a1", createdAt: "2026-03-01T10:00:00.000Z", rank: null, category: "node_pressure", source: "gemini" },
      ]);
    } finally {
      await db.destroy();
    }
  });
});
