import { afterEach, describe, expect, it, vi } from "vitest";
import SqliteDatabase from "better-sqlite3";
import { openStore } from "@/lib/store";
import { withStatementCache } from "@/lib/store/statement-cache";
import { tempDb } from "./helpers";

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

// SQLite only by nature: better-sqlite3's prepared statements (pg prepares nothing the store keeps).
describe("prepared statements", () => {
  it("are compiled once per distinct query while the worker's cycle repeats", async () => {
    const db = tempDb();
    const store = await openStore(db.url);
    cleanups.push(db.cleanup, () => store.close());
    await store.enqueueJobs(Array.from({ length: 200 }, (_, i) => ({ kind: "resolve" as const, dedupKey: `r${i}`, payload: { i } })));
    const prepare = vi.spyOn(SqliteDatabase.prototype, "prepare");
    for (let i = 0; i < 200; i++) {
      const job = await store.claimNextJob("w", ["resolve", "file_issue"]);
      if (!job) throw new Error(`job ${i} was not claimed`);
      await store.markResolved(`fp-${i}`, new Date());
      expect(await store.completeJob(job.id, "w")).toBe(true);
    }
    expect(await store.jobCounts()).toMatchObject({ queued: 0, running: 0, done: 200 });
    // A claim, a mark, and a completion's BEGIN, UPDATE and COMMIT: each compiled once, not 200 times.
    expect(prepare.mock.calls.length).toBeLessThan(20);
  });

  it("never hands out a statement that is still iterating, and keep only the most recently used", () => {
    const sqlite = new SqliteDatabase(":memory:");
    const cached = withStatementCache(sqlite, 2);
    cleanups.push(() => cached.close());
    const a = "SELECT value FROM json_each('[1,2,3]')";
    const first = cached.prepare(a);
    const rows = first.iterate([]);
    rows.next();
    const second = cached.prepare(a);
    expect(second).not.toBe(first);
    expect(second.all([])).toEqual([{ value: 1 }, { value: 2 }, { value: 3 }]);
    rows.return?.();
    expect(cached.prepare(a)).toBe(first);

    cached.prepare("SELECT 2");
    cached.prepare("SELECT 3");
    expect(cached.prepare(a)).not.toBe(first);
  });
});
