import { afterEach, describe, expect, it } from "vitest";
import { isAppError } from "@/lib/errors";
import { createSharedRateLimiter, createStoreRateLimiter, registerRateLimitStore } from "@/lib/auth/rate-limit";
import { openStore, type Store } from "@/lib/store";
import { postgresDatabase } from "@/test/helpers/postgres-database";
import { openPostgresReplica } from "@/test/helpers/postgres-replica";
import { tempDb } from "@/test/store/helpers";

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function twoReplicas(): Promise<[Store, Store]> {
  const url = await postgresDatabase("rate_limit");
  const a = await openPostgresReplica(url, { name: "replica-a" });
  const b = await openPostgresReplica(url, { name: "replica-b" });
  cleanups.push(
    () => a.close(),
    () => b.close(),
  );
  return [a, b];
}

/** The outcome of one check: "ok", or the seconds the refusal says to wait. */
async function outcome(p: Promise<void>): Promise<"ok" | number> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (isAppError(e) && e.code === "rate_limited" && e.retryAfterSeconds !== undefined) return e.retryAfterSeconds;
    throw e;
  }
}

describe("rate limits shared by replicas on PostgreSQL", () => {
  it("two limiters on one database draw on one budget per key", async () => {
    const [a, b] = await twoReplicas();
    // 10 s into a minute, so the whole test stays inside it.
    let t = Date.UTC(2026, 2, 1, 10, 0, 10);
    const la = createStoreRateLimiter(a.db, 3, () => t);
    const lb = createStoreRateLimiter(b.db, 3, () => t);
    expect(await outcome(la.check("alice", "analyze"))).toBe("ok");
    expect(await outcome(lb.check("alice", "analyze"))).toBe("ok");
    expect(await outcome(la.check("alice", "analyze"))).toBe("ok");
    const refusedOnB = await outcome(lb.check("alice", "analyze"));
    expect(refusedOnB).toBeGreaterThan(0);
    expect(refusedOnB).toBeLessThanOrEqual(60);
    expect(await outcome(la.check("alice", "analyze"))).not.toBe("ok");
    // Another user and another action have budgets of their own.
    expect(await outcome(lb.check("bob", "analyze"))).toBe("ok");
    expect(await outcome(lb.check("alice", "file-issue"))).toBe("ok");
    // The sliding window: early in the next minute the last minute's three still count ...
    t += 55_000;
    expect(await outcome(lb.check("alice", "analyze"))).not.toBe("ok");
    // ... and once most of it has slid out, alice may go again.
    t += 50_000;
    expect(await outcome(la.check("alice", "analyze"))).toBe("ok");
  });

  it("admits exactly the limit when 40 requests race across both replicas", async () => {
    const [a, b] = await twoReplicas();
    const t = Date.UTC(2026, 2, 1, 10, 0, 10);
    const [la, lb] = [createStoreRateLimiter(a.db, 7, () => t), createStoreRateLimiter(b.db, 7, () => t)];
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => outcome((i % 2 === 0 ? la : lb).check("carol", "silence"))));
    expect(results.filter((r) => r === "ok")).toHaveLength(7);
  });

  it("the route limiter counts in the store once a PostgreSQL store is registered, and in memory on SQLite", async () => {
    const [a, b] = await twoReplicas();
    const t = Date.UTC(2026, 2, 1, 10, 0, 10);
    // Two routes' limiters (two replicas' worth of memory) on one registered database share the budget.
    const one = createSharedRateLimiter(2, () => t);
    const two = createSharedRateLimiter(2, () => t);
    registerRateLimitStore(a.db);
    expect(await outcome(one.check("dave", "sign-in"))).toBe("ok");
    expect(await outcome(two.check("dave", "sign-in"))).toBe("ok");
    expect(await outcome(one.check("dave", "sign-in"))).not.toBe("ok");
    const rows = await b.db.selectFrom("rate_limits").select(["key", "hits"]).execute();
    expect(rows).toEqual([{ key: "sign-in:dave", hits: 2 }]);

    const file = tempDb();
    const sqlite = await openStore(file.url);
    cleanups.push(file.cleanup, () => sqlite.close());
    registerRateLimitStore(sqlite.db);
    const three = createSharedRateLimiter(1, () => t);
    const four = createSharedRateLimiter(1, () => t);
    expect(await outcome(three.check("erin", "analyze"))).toBe("ok");
    expect(await outcome(four.check("erin", "analyze"))).toBe("ok");
    expect(await sqlite.db.selectFrom("rate_limits").selectAll().execute()).toEqual([]);
  });

  it("keeps a long key's row small", async () => {
    const [a] = await twoReplicas();
    const l = createStoreRateLimiter(a.db, 1, () => Date.UTC(2026, 2, 1, 10, 0, 10));
    const long = `${"x".repeat(5000)}@example.com`;
    expect(await outcome(l.check(long, "analyze"))).toBe("ok");
    expect(await outcome(l.check(long, "analyze"))).not.toBe("ok");
    const [row] = await a.db.selectFrom("rate_limits").select("key").execute();
    expect(row?.key).toMatch(/^analyze:sha256:[0-9a-f]{64}$/);
  });
});
