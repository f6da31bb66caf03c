import { afterEach, describe, expect, it } from "vitest";
import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { openStore, Store } from "@/lib/store";
import type { Database } from "@/lib/store/schema";
import { tempDb } from "./helpers";

// The jobs of one enqueueJobs call share one run_after and created_at. A claim that sorts those ties
// reads the whole batch each time, so working off a batch of n costs n x n row reads while holding the
// event loop. What SQLite plans is the machine-independent witness of that. SQLite only by nature: the
// witness is SQLite's EXPLAIN QUERY PLAN (PostgreSQL's claim is w32's pg-boss queue).
let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe("claimNextJob", () => {
  it.each([[["resolve", "file_issue"] as const], [undefined]])("takes the oldest of a 2,000-job batch by an index seek, sorting no batch (kinds %j)", async (kinds) => {
    const db = tempDb();
    const store = await openStore(db.url);
    cleanups.push(db.cleanup, () => store.close());
    await store.enqueueJobs(Array.from({ length: 2000 }, (_, i) => ({ kind: "resolve" as const, dedupKey: `r${i}`, payload: { i } })));

    const sqlite = new SqliteDatabase(db.path);
    const queries: { sql: string; parameters: readonly unknown[] }[] = [];
    const logged = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }), log: (e) => void queries.push(e.query) });
    cleanups.push(() => logged.destroy());
    const job = await new Store(logged, () => new Date()).claimNextJob("w", kinds);
    expect(job?.payload).toEqual({ i: 0 });

    const claim = queries.find((q) => q.sql.startsWith('update "jobs" set "status"'));
    if (!claim) throw new Error(`no claim statement among ${queries.map((q) => q.sql).join("\n")}`);
    const plan = sqlite
      .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${claim.sql}`)
      .all(...claim.parameters)
      .map((r) => r.detail);
    expect(plan.some((d) => /SEARCH jobs USING INDEX jobs_status/.test(d))).toBe(true);
    // Only the final pick among the one candidate per kind may sort.
    expect(plan.filter((d) => d.includes("TEMP B-TREE"))).toEqual(kinds ? ["USE TEMP B-TREE FOR ORDER BY"] : []);
  });
});
