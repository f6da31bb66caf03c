import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import type { Report } from "@/lib/analysis/types";
import { isAppError } from "@/lib/errors";
import { openStore, Store, type SearchAnalysesFilter } from "@/lib/store";
import { migrationProvider } from "@/lib/store/migrations";
import { postgresDatabase } from "@/test/helpers/postgres-database";
import { manualClock, tempDb } from "./helpers";

const DAY = 86_400_000;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Clock = ReturnType<typeof manualClock>;

async function sqliteStore(clock: Clock): Promise<Store> {
  const t = tempDb();
  const store = await openStore(t.url, { now: clock.now });
  cleanups.push(t.cleanup, () => store.close());
  return store;
}

/** The store on a database of the run's PostgreSQL cluster. */
async function postgresStore(clock: Clock): Promise<Store> {
  const store = await openStore(await postgresDatabase("search"), { now: clock.now });
  cleanups.push(() => store.close());
  return store;
}

function report(hypotheses: { title: string; explanation?: string; evidence: string[] }[], source: "gemini" | "offline" = "gemini"): Report {
  return {
    source,
    model: source === "gemini" ? "gemini-3.8-flash" : null,
    summary: hypotheses[0]?.title ?? "",
    hypotheses: hypotheses.map((h) => ({
      title: h.title,
      likelihood: "high" as const,
      explanation: h.explanation ?? "",
      evidence: h.evidence.map((text) => ({ source: "logs" as const, text, verified: true })),
    })),
    impact: "Requests fail.",
    immediateActions: [],
    prevention: [],
    insufficientEvidence: false,
    generatedAt: "2026-03-01T10:00:05.000Z",
  };
}

async function add(store: Store, o: { alertname: string; namespace: string; pod: string; cluster?: string; report?: Report; status?: "done" | "failed" }) {
  const a = await store.createAnalysis({
    fingerprint: `fp-${o.pod}`,
    alertname: o.alertname,
    target: { namespace: o.namespace, pod: o.pod, cluster: o.cluster },
    trigger: "webhook",
  });
  if (o.report) await store.updateAnalysis(a.id, { status: "running", progress: { gemini: { status: "started" } } });
  await store.updateAnalysis(a.id, { status: o.status ?? "done", ...(o.report ? { report: o.report } : {}) });
  return a.id;
}

/** Three incidents: an OOM kill, a CUDA out-of-memory crash (offline report), and one without a report. */
async function seed(store: Store) {
  const oom = await add(store, {
    alertname: "ModelPodOOMKilled",
    namespace: "ml-serving",
    pod: "vllm-llama-7d9f-abc12",
    cluster: "prod-eu",
    report: report([{ title: "Container memory limit too low", explanation: "The working set grew past the limit.", evidence: ["Last State: Terminated Reason: OOMKilled Exit Code: 137"] }]),
  });
  const cuda = await add(store, {
    alertname: "ModelPodCrashLooping",
    namespace: "gpu-inference",
    pod: "triton-5c8b-xyz",
    cluster: "prod-us",
    report: report([{ title: "GPU out of memory while loading weights", evidence: ["torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"] }], "offline"),
  });
  const bare = await add(store, { alertname: "KubePodNotReady", namespace: "shop", pod: "cart-6f7d", status: "failed" });
  return { oom, cuda, bare };
}

const ids = async (store: Store, f: SearchAnalysesFilter) => (await store.searchAnalyses(f)).items.map((i) => i.id);

describe.each([
  ["SQLite", sqliteStore],
  ["PostgreSQL", postgresStore],
] as const)("history search on %s", (_engine, open) => {
  it("finds an analysis by pod, namespace, alert name, cluster, cause and quoted evidence", async () => {
    const store = await open(manualClock());
    const { oom, cuda, bare } = await seed(store);
    expect(await ids(store, { q: "vllm-llama-7d9f-abc12" })).toEqual([oom]);
    expect(await ids(store, { q: "triton" })).toEqual([cuda]);
    expect(await ids(store, { q: "gpu-inference" })).toEqual([cuda]);
    expect(await ids(store, { q: "KubePodNotReady" })).toEqual([bare]);
    expect(await ids(store, { q: "prod-eu" })).toEqual([oom]);
    expect(await ids(store, { q: "memory limit too low" })).toEqual([oom]);
    expect(await ids(store, { q: "OOMKilled" })).toEqual([oom]);
    const phrase = await store.searchAnalyses({ q: '"CUDA out of memory"' });
    expect(phrase.items.map((i) => i.id)).toEqual([cuda]);
    expect(phrase.terms).toEqual(["cuda out of memory"]);
    const snippet = phrase.items[0]?.snippet ?? [];
    expect(snippet.map((p) => p.text).join("")).toContain("CUDA out of memory");
    expect(snippet.filter((p) => p.hit).map((p) => p.text.toLowerCase()).join(" ")).toMatch(/cuda/);
    expect(snippet.filter((p) => !p.hit).map((p) => p.text).join("")).toMatch(/OutOfMemoryError/);
    // A phrase matches its words in order only.
    expect(await ids(store, { q: '"memory out of"' })).toEqual([]);
    expect(await ids(store, { q: "nothing-like-this" })).toEqual([]);
  });

  it("matches unquoted words as prefixes, all of them", async () => {
    const store = await open(manualClock());
    const { oom, cuda } = await seed(store);
    expect(await ids(store, { q: "oomkil" })).toEqual([oom]);
    expect(await ids(store, { q: "vll" })).toEqual([oom]);
    expect(new Set(await ids(store, { q: "memor" }))).toEqual(new Set([oom, cuda]));
    expect(await ids(store, { q: "memor tritо" })).toEqual([]);
    expect(await ids(store, { q: "memor trit" })).toEqual([cuda]);
  });

  it("combines the words with the filters: alert name and namespace prefix, status, source, time", async () => {
    const clock = manualClock();
    const store = await open(clock);
    const { oom, cuda } = await seed(store);
    clock.advance(DAY);
    const later = await add(store, { alertname: "ModelPodOOMKilled", namespace: "ml-batch", pod: "trainer-0", report: report([{ title: "Memory leak in the data loader", evidence: ["OOMKilled"] }]) });
    expect(new Set(await ids(store, { q: "memory" }))).toEqual(new Set([oom, cuda, later]));
    expect(await ids(store, { q: "memory", namespace: "gpu", match: "prefix" })).toEqual([cuda]);
    expect(await ids(store, { q: "memory", namespace: "gpu" })).toEqual([]);
    expect(new Set(await ids(store, { q: "memory", alertname: "ModelPodOOM", match: "prefix" }))).toEqual(new Set([oom, later]));
    expect(await ids(store, { q: "memory", source: "offline" })).toEqual([cuda]);
    expect(await ids(store, { q: "memory", status: "failed" })).toEqual([]);
    expect(await ids(store, { q: "oomkilled", since: new Date(clock.now().getTime() - 3_600_000).toISOString() })).toEqual([later]);
    expect(await ids(store, { q: "oomkilled", until: new Date(clock.now().getTime() - 3_600_000).toISOString() })).toEqual([oom]);
    // No words: the plain list with the filters, newest first.
    expect(await ids(store, { q: "  ", namespace: "ml", match: "prefix" })).toEqual([later, oom]);
  });

  it("takes injection-looking and malformed queries as words, never as query syntax", async () => {
    const store = await open(manualClock());
    const { oom } = await seed(store);
    for (const q of ['"', "*", "NEAR(", "NEAR(oom", "a OR", "OR", "AND NOT", "^", "-", "(", ")", ":*", "&|!", "''", "oom'", "col:val", "pod:vllm", '"unterminated', "x\"y\"z", "'); drop table analyses; --", "\\", "%_", "\u0000", "\u0002oom\u0003", "\u{1F600}", "e\u0301"]) {
      const r = await store.searchAnalyses({ q });
      expect(Array.isArray(r.items), q).toBe(true);
    }
    expect((await store.searchAnalyses({ q: '"' })).terms).toEqual([]);
    expect(await ids(store, { q: "*" })).toEqual([]);
    expect(await ids(store, { q: "pod:vllm" })).toEqual([]);
    expect(await ids(store, { q: "NEAR(vllm" })).toEqual([]);
    expect(await ids(store, { q: "(vllm)" })).toEqual([oom]);
    expect(await ids(store, { q: "vllm OR" })).toEqual([]);
    expect(await ids(store, { q: "vllm*" })).toEqual([oom]);
    expect((await store.listAnalyses({ limit: 10 })).items).toHaveLength(3);
    // And 300 random mixes of both engines' operator characters with words (a fixed seed).
    const alphabet = ['"', "*", "(", ")", ":", "^", "-", "+", "&", "|", "!", "'", "\\", "<", ">", "{", "}", "NEAR", "OR", "AND", "NOT", " ", " ", "oom", "vllm", "7d9f", "é", "\u0000"];
    let state = 7;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 300; i++) {
      const q = Array.from({ length: 1 + Math.floor(next() * 12) }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
      await expect(store.searchAnalyses({ q }), q).resolves.toHaveProperty("items");
    }
  });

  it("highlights only the matched words when the evidence itself holds the marker characters", async () => {
    const store = await open(manualClock());
    await add(store, { alertname: "A", namespace: "ns", pod: "marker-pod", report: report([{ title: "t", evidence: ["start\u0002 planted \u0003end Reason: OOMKilled"] }]) });
    const [hit] = (await store.searchAnalyses({ q: "oomkilled" })).items;
    expect(hit?.snippet?.filter((p) => p.hit).map((p) => p.text)).toEqual(["OOMKilled"]);
    expect(hit?.snippet?.map((p) => p.text).join("")).not.toMatch(/[\u0002\u0003]/);
  });

  it("refuses a query over 200 characters or 20 words, naming the limit", async () => {
    const store = await open(manualClock());
    const long = await store.searchAnalyses({ q: "x".repeat(201) }).catch((e: unknown) => e);
    expect(isAppError(long) && long.code).toBe("unprocessable");
    expect(String((long as Error).message)).toMatch(/200 characters/);
    const many = await store.searchAnalyses({ q: Array.from({ length: 21 }, (_, i) => `w${i}`).join(" ") }).catch((e: unknown) => e);
    expect(isAppError(many) && many.code).toBe("unprocessable");
    expect(String((many as Error).message)).toMatch(/21 words; at most 20/);
    expect((await store.searchAnalyses({ q: Array.from({ length: 20 }, (_, i) => `w${i}`).join(" ") })).items).toEqual([]);
  });

  it("re-indexes a report written late and rewritten, and forgets a pruned analysis", async () => {
    const clock = manualClock();
    const store = await open(clock);
    const a = await store.createAnalysis({ fingerprint: "fp-xid", target: { namespace: "gpu", pod: "llama-70b-0" }, trigger: "manual" });
    expect(await ids(store, { q: "llama-70b" })).toEqual([a.id]);
    expect(await ids(store, { q: "xid" })).toEqual([]);
    await store.updateAnalysis(a.id, { status: "running", progress: { gemini: { status: "started" } } });
    await store.updateAnalysis(a.id, { report: report([{ title: "GPU fell off the bus", evidence: ["NVRM: Xid 79, GPU has fallen off the bus"] }]) });
    expect(await ids(store, { q: "xid 79" })).toEqual([a.id]);
    await store.updateAnalysis(a.id, { status: "done", report: report([{ title: "Driver mismatch", evidence: ["CUDA driver version is insufficient"] }]) });
    expect(await ids(store, { q: "xid" })).toEqual([]);
    expect(await ids(store, { q: "driver insufficient" })).toEqual([a.id]);

    const keep = await add(store, { alertname: "Other", namespace: "gpu", pod: "keeper", report: report([{ title: "Driver mismatch too", evidence: [] }]) });
    clock.advance(10 * DAY);
    const fresh = await add(store, { alertname: "Other", namespace: "gpu", pod: "fresh", report: report([{ title: "Driver mismatch again", evidence: [] }]) });
    clock.advance(DAY);
    const pruned = await store.prune({ days: 5, maxAnalyses: 0, auditDays: 0 });
    expect(pruned.analyses).toBe(2);
    expect(await ids(store, { q: "driver" })).toEqual([fresh]);
    expect(await ids(store, { q: "llama" })).toEqual([]);
    expect(await ids(store, { q: "keeper" })).toEqual([]);
    expect(keep).not.toBe(fresh);
  });

  it("ranks a newer match above an equal older one and pages through every match once", async () => {
    const clock = manualClock();
    const store = await open(clock);
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      made.push(await add(store, { alertname: "ModelPodOOMKilled", namespace: "ml", pod: `same-${i}`, report: report([{ title: "Container memory limit too low", evidence: ["Reason: OOMKilled"] }]) }));
      clock.advance(DAY);
    }
    const first = await store.searchAnalyses({ q: "oomkilled", limit: 3 });
    expect(first.items[0]?.id).toBe(made[6]);
    const seen = [...first.items.map((i) => i.id)];
    let cursor = first.nextCursor;
    // Time moves on between pages; the cursor keeps the order of the first page.
    clock.advance(30 * DAY);
    while (cursor) {
      const page = await store.searchAnalyses({ q: "oomkilled", limit: 3, cursor });
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual([...made].reverse());
    await expect(store.searchAnalyses({ q: "oomkilled", cursor: "bm90IGEgY3Vyc29y" })).rejects.toThrow(/Invalid cursor/);

    // Ranked a window of 3 newest matches at a time: still every match once, newest windows first.
    store.searchRankWindow = 3;
    const windowed: string[] = [];
    let c: string | undefined;
    do {
      const page = await store.searchAnalyses({ q: "oomkilled", limit: 2, cursor: c });
      windowed.push(...page.items.map((i) => i.id));
      c = page.nextCursor;
    } while (c);
    expect(windowed).toEqual([...made].reverse());
    // A new match arriving while paging does not shift the pages already computed.
    const firstPage = await store.searchAnalyses({ q: "oomkilled", limit: 2 });
    await add(store, { alertname: "ModelPodOOMKilled", namespace: "ml", pod: "newcomer", report: report([{ title: "x", evidence: ["OOMKilled"] }]) });
    const second = await store.searchAnalyses({ q: "oomkilled", limit: 2, cursor: firstPage.nextCursor });
    expect(second.items.map((i) => i.id)).toEqual([made[4]]);
  });

  it("finds the older matches when the newest rows hold fewer than a window of them", async () => {
    const clock = manualClock();
    const store = await open(clock);
    // A window of 1: PostgreSQL first tests the newest 10 rows, then looks further back by index.
    store.searchRankWindow = 1;
    const rare: string[] = [];
    for (let i = 0; i < 30; i++) {
      const match = i === 2 || i === 14 || i === 29;
      const ns = i % 2 ? "gpu-inference-1" : "ml-serving";
      const id = await add(store, { alertname: "ModelPodNotReady", namespace: ns, pod: `pod-${i}`, report: report([{ title: match ? "NVLink Xid error" : "Probe timeout", evidence: [] }]) });
      if (match) rare.push(id);
      clock.advance(60_000);
    }
    const all = async (f: SearchAnalysesFilter) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.searchAnalyses({ ...f, limit: 1, cursor });
        seen.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor;
      } while (cursor);
      return seen;
    };
    const [m2, m14, m29] = rare;
    expect(await all({ q: "xid" })).toEqual([m29, m14, m2]);
    expect(await all({ q: '"nvlink xid"' })).toEqual([m29, m14, m2]);
    // pod-29 is the only match in a gpu-inference namespace; pod-2 and pod-14 are in ml-serving.
    expect(await all({ q: "xid", namespace: "gpu-inference", match: "prefix" })).toEqual([m29]);
    expect(await all({ q: "xid", until: clock.now().toISOString(), namespace: "ml-serving" })).toEqual([m14, m2]);
    // A common word: every row once, newest first.
    expect(new Set(await all({ q: "modelpodnotready" })).size).toBe(30);
  });
});

describe("history search index on PostgreSQL", () => {
  it("keeps the search document off the analyses rows, and indexes analyses stored before migration 012", async () => {
    const store = await postgresStore(manualClock());
    const { oom, cuda, bare } = await seed(store);
    const tsvectors = await sql<{ column_name: string }>`select column_name from information_schema.columns where table_name = 'analyses' and data_type = 'tsvector'`.execute(store.db);
    expect(tsvectors.rows).toEqual([]);
    const read = await sql<Record<string, unknown>>`select * from analyses where id = ${oom}`.execute(store.db);
    expect(Object.keys(read.rows[0] ?? {})).not.toContain("search");
    // As if the analyses predated the side table: undo 012 (010's generated column again), then redo it.
    const m = (await migrationProvider.getMigrations())["2026_12_012_search_table"];
    await m?.down?.(store.db);
    await m?.up(store.db);
    expect(await ids(store, { q: "vllm" })).toEqual([oom]);
    expect(await ids(store, { q: "memory", source: "offline" })).toEqual([cuda]);
    expect(await ids(store, { q: "kubepodnotready", status: "failed" })).toEqual([bare]);
    // The triggers are back: a status change reaches the filter, a delete leaves the index.
    await store.updateAnalysis(cuda, { status: "failed" });
    expect(await ids(store, { q: "memory", status: "failed" })).toEqual([cuda]);
    await sql`delete from analyses where id = ${oom}`.execute(store.db);
    const count = await sql<{ n: string }>`select count(*) as n from analysis_search`.execute(store.db);
    expect(Number(count.rows[0]?.n)).toBe(2);
  });
});

describe("history search index on SQLite", () => {
  it("indexes analyses stored before migration 010, and keeps the index the size of the table", async () => {
    const store = await sqliteStore(manualClock());
    const { oom } = await seed(store);
    // As if the analyses predated the index: empty it, then run the migration's backfill again.
    await sql`delete from analysis_search`.execute(store.db);
    expect(await ids(store, { q: "vllm" })).toEqual([]);
    const up = (await migrationProvider.getMigrations())["2026_12_010_search"];
    await up?.up(store.db);
    expect(await ids(store, { q: "vllm" })).toEqual([oom]);
    const count = await sql<{ n: number }>`select (select count(*) from analysis_search) - (select count(*) from analyses) as n`.execute(store.db);
    expect(count.rows[0]?.n).toBe(0);
    const integrity = await sql`insert into analysis_search_fts(analysis_search_fts, rank) values ('integrity-check', 1)`.execute(store.db).then(() => "ok", (e: unknown) => String(e));
    expect(integrity).toBe("ok");
  });

  it("stores an analysis whose report column is not JSON (written by hand or an old build) without failing", async () => {
    const store = await sqliteStore(manualClock());
    const a = await store.createAnalysis({ fingerprint: "fp-broken", target: { namespace: "ns", pod: "broken-pod" }, trigger: "manual" });
    await sql`update analyses set report_json = ${"{not json"} where id = ${a.id}`.execute(store.db);
    expect(await ids(store, { q: "broken-pod" })).toEqual([a.id]);
  });
});
