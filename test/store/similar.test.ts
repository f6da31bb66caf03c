import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openStore, Store } from "@/lib/store";
import type { FailureSignature } from "@/lib/analysis/similar";
import { manualClock, sampleReport, tempDb } from "@/test/store/helpers";
import { postgresDatabase } from "@/test/helpers/postgres-database";

/** Signatures as lib/analysis/signature.ts makes them: the hash, the workload key, the parts. */
const sig = (signature: string, workload: string): FailureSignature => {
  const [cluster, namespace, kind, name] = workload.split("/");
  return {
    signature,
    workloadKey: workload,
    parts: { version: 1, category: "oom_killed", templates: ['"reason":"OOMKilled"'], workload: { cluster, namespace: namespace ?? "", kind: kind ?? "", name: name ?? "" } },
  };
};

const EMBEDDER = "prod/ml/Deployment/embedder";
const RERANKER = "prod/ml/Deployment/reranker";

/** Writes analyses a minute apart (the clock moves), finished with the given signature. */
async function seed(store: Store, clock: ReturnType<typeof manualClock>, rows: Array<{ name: string; signature?: FailureSignature; status?: "done" | "running" }>) {
  const ids: Record<string, string> = {};
  for (const r of rows) {
    clock.advance(60_000);
    const a = await store.createAnalysis({ fingerprint: `fp-${r.name}`, trigger: "manual", target: { namespace: "ml", pod: `${r.name}-7c9d8f6b5-q2xkp` } });
    await store.updateAnalysis(a.id, { status: r.status ?? "done", report: sampleReport(`OOM of ${r.name}`), ...(r.signature ? { signature: r.signature } : {}) });
    ids[r.name] = a.id;
  }
  return ids;
}

/** The ordering contract, run against each engine. */
async function orderingContract(store: Store, clock: ReturnType<typeof manualClock>) {
  const ids = await seed(store, clock, [
    { name: "e-old", signature: sig("aaaa", EMBEDDER) },
    { name: "r-old", signature: sig("aaaa", RERANKER) },
    { name: "e-mid", signature: sig("aaaa", EMBEDDER) },
    { name: "other-cause", signature: sig("bbbb", EMBEDDER) },
    { name: "r-new", signature: sig("aaaa", RERANKER) },
    { name: "running", signature: sig("aaaa", EMBEDDER), status: "running" },
    { name: "unsigned" },
    { name: "e-now", signature: sig("aaaa", EMBEDDER) },
  ]);
  const names = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));
  const found = await store.similarAnalyses({ signature: "aaaa", workloadKey: EMBEDDER, excludeId: ids["e-now"] });
  // Same workload first, newest first; then elsewhere, newest first; never itself, a running one, another signature.
  expect(found.map((f) => names[f.id])).toEqual(["e-mid", "e-old", "r-new", "r-old"]);
  expect(found.map((f) => f.sameWorkload)).toEqual([true, true, false, false]);
  expect(found[0]?.workloadKey).toBe(EMBEDDER);
  expect(found[0]?.signatureParts?.category).toBe("oom_killed");
  expect(found[0]?.topHypothesis?.title).toBe("OOM of e-mid");

  // Bounded: the same workload fills the limit before anything elsewhere.
  expect((await store.similarAnalyses({ signature: "aaaa", workloadKey: EMBEDDER, limit: 2 })).map((f) => names[f.id])).toEqual(["e-now", "e-mid"]);
  expect((await store.similarAnalyses({ signature: "aaaa", workloadKey: EMBEDDER, limit: 4 })).map((f) => names[f.id])).toEqual(["e-now", "e-mid", "e-old", "r-new"]);
  // Without a workload (namespace unknown): every match, newest first, none on "the same workload".
  const anywhere = await store.similarAnalyses({ signature: "aaaa" });
  expect(anywhere.map((f) => names[f.id])).toEqual(["e-now", "r-new", "e-mid", "r-old", "e-old"]);
  expect(anywhere.every((f) => !f.sameWorkload)).toBe(true);
  // From the reranker's side the order flips.
  expect((await store.similarAnalyses({ signature: "aaaa", workloadKey: RERANKER })).map((f) => names[f.id])).toEqual(["r-new", "r-old", "e-now", "e-mid", "e-old"]);

  // The analysis reads its signature back; clearing it takes it out of every list.
  const back = await store.getAnalysis(ids["e-mid"] ?? "");
  expect(back).toMatchObject({ signature: "aaaa", workloadKey: EMBEDDER, signatureParts: { category: "oom_killed" } });
  await store.updateAnalysis(ids["e-mid"] ?? "", { signature: null });
  expect((await store.similarAnalyses({ signature: "aaaa", workloadKey: EMBEDDER })).map((f) => names[f.id])).toEqual(["e-now", "e-old", "r-new", "r-old"]);

  // The issue state cache: saved, read back by URL, overwritten.
  await store.saveIssueState({ url: "https://github.com/acme/ml/issues/12", number: 12, state: "open" });
  clock.advance(1000);
  await store.saveIssueState({ url: "https://github.com/acme/ml/issues/12", number: 12, state: "closed" });
  const states = await store.issueStates(["https://github.com/acme/ml/issues/12", "https://github.com/acme/ml/issues/99"]);
  expect([...states.values()]).toEqual([{ url: "https://github.com/acme/ml/issues/12", number: 12, state: "closed", checkedAt: clock.now().toISOString() }]);
}

describe("similar analyses (migration 008)", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it("on SQLite: same signature on the same workload first, then elsewhere, newest first, bounded, without itself", async () => {
    const db = tempDb();
    const clock = manualClock();
    const store = await openStore(db.url, { now: clock.now });
    cleanups.push(() => store.close(), db.cleanup);
    await orderingContract(store, clock);
    const plan = await sql`explain query plan select id from analyses where signature = ${"aaaa"} and workload_key = ${EMBEDDER} order by created_at desc`.execute(store.db);
    expect(JSON.stringify(plan.rows)).toMatch(/analyses_signature/);
  });

  it("on PostgreSQL: the same ordering holds", async () => {
    const clock = manualClock();
    const store = await openStore(await postgresDatabase("similar"), { now: clock.now });
    cleanups.push(() => store.close());
    await orderingContract(store, clock);
  });
});
