import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "@/lib/store";
import { STORE_DIALECTS, testDatabase } from "@/test/helpers/store";
import { manualClock } from "./helpers";

/** The contract lib/github/registry.ts defines; the store must satisfy it structurally. */
interface IssueRef {
  number: number;
  url: string;
}
interface IssueRegistry {
  runExclusive<T>(fingerprint: string, fn: () => Promise<T>): Promise<T>;
  getIssue(fingerprint: string): Promise<IssueRef | undefined>;
  saveIssue(fingerprint: string, issue: IssueRef): Promise<void>;
}

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe.each(STORE_DIALECTS)("locks on %s", (dialect) => {
async function twoStores(clock?: ReturnType<typeof manualClock>): Promise<[Store, Store]> {
  const db = await testDatabase(dialect);
  const a = await openStore(db.url, { now: clock?.now });
  const b = await openStore(db.url, { now: clock?.now });
  cleanups.push(db.cleanup, () => a.close(), () => b.close());
  return [a, b];
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs fn-bodies that record how many are inside at once. */
function overlapProbe() {
  let inside = 0;
  let maxInside = 0;
  let runs = 0;
  return {
    body: async (work: () => Promise<void> = () => pause(2)) => {
      inside++;
      runs++;
      maxInside = Math.max(maxInside, inside);
      await work();
      inside--;
    },
    get max() {
      return maxInside;
    },
    get runs() {
      return runs;
    },
  };
}

describe("issue registry lock", () => {
  it("serialises 50 concurrent calls for one fingerprint and returns each result", async () => {
    const [store] = await twoStores();
    const registry: IssueRegistry = store.issueRegistry();
    const probe = overlapProbe();
    let issues = 0;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        registry.runExclusive("fp-1", async () => {
          await probe.body(async () => {
            // The filer's pattern: look up, then create only when missing.
            if (!(await registry.getIssue("fp-1"))) {
              await pause(3);
              issues++;
              await registry.saveIssue("fp-1", { number: issues, url: `https://github.com/a/b/issues/${issues}` });
            }
          });
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(probe.runs).toBe(50);
    expect(probe.max).toBe(1);
    expect(issues).toBe(1);
    expect(await registry.getIssue("fp-1")).toEqual({ number: 1, url: "https://github.com/a/b/issues/1" });
  });

  it("lets different fingerprints run at the same time", async () => {
    const [store] = await twoStores();
    const registry = store.issueRegistry();
    let releaseA: () => void = () => {};
    const aWaits = new Promise<void>((r) => (releaseA = r));
    // A can only finish once B has run: if the keys were serialised, A would wait forever.
    const a = registry.runExclusive("fp-a", async () => {
      const outcome = await Promise.race([aWaits.then(() => "parallel"), pause(20_000).then(() => "serialised")]);
      return outcome;
    });
    const b = registry.runExclusive("fp-b", async () => {
      releaseA();
      return "b";
    });
    expect(await Promise.all([a, b])).toEqual(["parallel", "b"]);
  });

  it("keeps serialising after a failing call and releases the lock", async () => {
    const [store] = await twoStores();
    const registry = store.issueRegistry();
    await expect(registry.runExclusive("fp", async () => Promise.reject(new Error("GitHub 502")))).rejects.toThrow("GitHub 502");
    await expect(registry.runExclusive("fp", async () => "ok")).resolves.toBe("ok");
    expect(await store.db.selectFrom("locks").selectAll().execute()).toEqual([]);
  });

  it("serialises two Store instances on the same file through the locks table", async () => {
    const [a, b] = await twoStores();
    const regA = a.issueRegistry({ pollMs: 5 });
    const regB = b.issueRegistry({ pollMs: 5 });
    const probe = overlapProbe();
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? regA : regB).runExclusive("shared", () => probe.body())),
    );
    expect(probe.runs).toBe(40);
    expect(probe.max).toBe(1);
  });

  // A lease in the locks table is how SQLite replaces a dead holder's lock; on PostgreSQL the registry holds an
  // advisory lock that dies with its connection (test/store/postgres-issue-lock.test.ts), so there is no lease.
  if (dialect === "sqlite") it("takes over a lock whose holder died once its lease expires", async () => {
    const clock = manualClock();
    const [dead, alive] = await twoStores(clock);
    expect(await dead.locks.tryAcquire("issue:fp", "dead-process", 30_000)).toBe(true);
    await dead.close();

    let ran = false;
    const waiting = alive.issueRegistry({ pollMs: 5 }).runExclusive("fp", async () => {
      ran = true;
      return "mine";
    });
    expect(await alive.locks.tryAcquire("issue:fp", "someone", 30_000)).toBe(false);
    expect(ran).toBe(false);
    clock.advance(30_001);
    expect(await waiting).toBe("mine");
    expect(ran).toBe(true);
  });

  it("gives up waiting with a timeout error that says what to do", async () => {
    const [a, b] = await twoStores();
    // Another store (another replica) holds the fingerprint's lock until released.
    let release!: () => void;
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    const holder = a.issueRegistry().runExclusive("stuck", () => (held(), new Promise<void>((r) => (release = r))));
    await holding;
    await expect(b.issueRegistry({ waitTimeoutMs: 50, pollMs: 5 }).runExclusive("stuck", async () => 1)).rejects.toMatchObject({
      code: "timeout",
      hint: expect.stringMatching(/retry/i),
    });
    release();
    await holder;
  });

  it("renews, releases and refuses a lock held by someone else", async () => {
    const clock = manualClock();
    const [a] = await twoStores(clock);
    expect(await a.locks.tryAcquire("k", "one", 1000)).toBe(true);
    expect(await a.locks.tryAcquire("k", "two", 1000)).toBe(false);
    clock.advance(900);
    expect(await a.locks.renew("k", "one", 1000)).toBe(true);
    clock.advance(900);
    expect(await a.locks.tryAcquire("k", "two", 1000)).toBe(false);
    expect(await a.locks.renew("k", "two", 1000)).toBe(false);
    await a.locks.release("k", "two");
    expect(await a.locks.tryAcquire("k", "two", 1000)).toBe(false);
    await a.locks.release("k", "one");
    expect(await a.locks.tryAcquire("k", "two", 1000)).toBe(true);
  });
});
});
