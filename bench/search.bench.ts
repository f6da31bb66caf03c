/**
 * History search over 100,000 stored analyses with realistic reports (issue 19 item 5; target: p50
 * under 100 ms on SQLite and PostgreSQL). The rows are written in one transaction with prepared inserts, so the
 * index is built by the same triggers as in production; then typical queries run through
 * Store.searchAnalyses a page of 200 (the history page's) at a time. PostgreSQL gets the same rows and
 * queries in a private cluster (BENCH_SEARCH_PG=0 skips it).
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { Report } from "../lib/analysis/types";
import { openStore, Store, type SearchAnalysesFilter } from "../lib/store";
import { migrationProvider } from "../lib/store/migrations";
import type { Database } from "../lib/store/schema";
import { startPostgres } from "../test/helpers/postgres";
import { QUICK, ms, summarize } from "./helpers";

export const name = "search";

const ANALYSES = QUICK ? 5_000 : 100_000;
const RUNS = QUICK ? 5 : 30;
const PAGE = 200;
const DAY = 86_400_000;

const MODELS = ["vllm-llama-3-70b", "vllm-mistral-7b", "triton-bert", "tgi-falcon-40b", "embedder-e5", "whisper-large", "sdxl-turbo", "reranker-bge"];
const NAMESPACES = Array.from({ length: 40 }, (_, i) => ["ml-serving", "gpu-inference", "ml-batch", "search", "shop"][i % 5] + `-${Math.floor(i / 5)}`);
const CLUSTERS = ["prod-eu", "prod-us", "staging"];

/** A small deterministic generator, so every run stores the same rows. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const hex = (r: () => number, n: number) => Array.from({ length: n }, () => "0123456789abcdef"[Math.floor(r() * 16)]).join("");

interface Incident {
  alertname: string;
  category: NonNullable<Report["hypotheses"][number]["category"]>;
  title: string;
  explanation: string;
  evidence: (r: () => number, pod: string) => string[];
}

const INCIDENTS: Incident[] = [
  {
    alertname: "ModelPodOOMKilled",
    category: "oom_killed",
    title: "Container memory limit too low for the model's working set",
    explanation: "The container was killed by the kernel when its memory use reached the limit while loading the KV cache.",
    evidence: (r) => [`Last State: Terminated Reason: OOMKilled Exit Code: 137`, `Limits: memory: ${8 + Math.floor(r() * 32)}Gi`, `Memory cgroup out of memory: Killed process ${1000 + Math.floor(r() * 9000)} (python3)`],
  },
  {
    alertname: "ModelPodCrashLooping",
    category: "gpu_oom",
    title: "GPU out of memory while allocating the KV cache",
    explanation: "The model does not fit in GPU memory with the configured max_num_seqs and gpu_memory_utilization.",
    evidence: (r) => [`torch.OutOfMemoryError: CUDA out of memory. Tried to allocate ${(r() * 8).toFixed(2)} GiB. GPU 0 has a total capacity of 79.15 GiB`, `ValueError: No available memory for the cache blocks. Try increasing gpu_memory_utilization`],
  },
  {
    alertname: "ModelPodNotRunning",
    category: "image_pull",
    title: "Image pull fails: the tag does not exist in the registry",
    explanation: "The deployment was rolled out with an image tag that was never pushed.",
    evidence: (r) => [`Failed to pull image "registry.example.com/models/server:v${Math.floor(r() * 40)}.${Math.floor(r() * 10)}": not found`, `Back-off pulling image`],
  },
  {
    alertname: "ModelPodNotReady",
    category: "probe_failure",
    title: "Readiness probe times out while the model loads",
    explanation: "Loading the weights takes longer than the probe's initialDelaySeconds and failureThreshold allow.",
    evidence: (r) => [`Readiness probe failed: Get "http://10.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}.7:8000/health": context deadline exceeded`, `Loading safetensors checkpoint shards: ${Math.floor(r() * 100)}% Completed`],
  },
  {
    alertname: "ModelPodCrashLooping",
    category: "model_load_failure",
    title: "Model weights missing from the mounted volume",
    explanation: "The PVC was re-created empty; the server exits when it cannot find config.json.",
    evidence: () => [`OSError: /models/weights does not appear to have a file named config.json`, `Traceback (most recent call last):`],
  },
  {
    alertname: "ModelHighLatency",
    category: "load_surge",
    title: "Request surge beyond the autoscaler's maximum replicas",
    explanation: "Queue depth grew while the HPA was at maxReplicas.",
    evidence: (r) => [`vllm:num_requests_waiting rose from 0 to ${100 + Math.floor(r() * 900)} in 5 minutes`, `HPA at maxReplicas ${4 + Math.floor(r() * 8)}`],
  },
];

/** One stored analysis row, as the pipeline leaves it once done. */
function row(r: () => number, now: number) {
  const k = Math.floor(r() * INCIDENTS.length);
  const inc = INCIDENTS[k];
  const other = INCIDENTS[(k + 1) % INCIDENTS.length];
  if (!inc || !other) throw new Error("no incident kinds");
  const model = MODELS[Math.floor(r() * MODELS.length)] ?? "model";
  const pod = `${model}-${hex(r, 10)}-${hex(r, 5)}`;
  const namespace = NAMESPACES[Math.floor(r() * NAMESPACES.length)] ?? "ml";
  const cluster = CLUSTERS[Math.floor(r() * CLUSTERS.length)] ?? "prod";
  const created = new Date(now - Math.floor(r() * 90 * DAY)).toISOString();
  const report: Report = {
    source: r() < 0.8 ? "gemini" : "offline",
    model: "gemini-3.8-flash",
    summary: `${pod} in ${namespace}: ${inc.title.toLowerCase()}.`,
    hypotheses: [
      { title: inc.title, category: inc.category, likelihood: "high", explanation: inc.explanation, evidence: inc.evidence(r, pod).map((text) => ({ source: "logs", text, verified: true })) },
      { title: other.title, category: other.category, likelihood: "low", explanation: other.explanation, evidence: [] },
    ],
    impact: "Requests to the model fail or time out.",
    immediateActions: [{ step: "Describe the pod", command: `kubectl -n ${namespace} describe pod ${pod}` }],
    prevention: ["Load-test new model versions before rollout"],
    insufficientEvidence: false,
    generatedAt: created,
  };
  return {
    id: randomUUID(),
    fingerprint: hex(r, 16),
    alertname: inc.alertname,
    severity: "critical",
    cluster,
    namespace,
    pod,
    container: "server",
    target_json: JSON.stringify({ cluster, namespace, pod, container: "server" }),
    status: "done",
    trigger: "webhook",
    report_json: JSON.stringify(report),
    source: report.source,
    model: report.model,
    top_hypothesis: inc.title,
    top_likelihood: "high",
    created_at: created,
  };
}


export function rows(now: number) {
  const r = rng(19);
  // Stored in the order they were created, as the console stores them.
  return Array.from({ length: ANALYSES }, () => row(r, now)).sort((a, b) => a.created_at.localeCompare(b.created_at));
}

async function timeQueries(store: Store, queries: [string, SearchAnalysesFilter][]): Promise<void> {
  for (const [label, filter] of queries) {
    const first = await store.searchAnalyses({ ...filter, limit: PAGE });
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await store.searchAnalyses({ ...filter, limit: PAGE });
      times.push(performance.now() - t);
    }
    const s = summarize(times);
    console.log(`  ${label.padEnd(44)} p50 ${ms(s.p50, 1).padStart(9)}  p95 ${ms(s.p95, 1).padStart(9)}  (${first.items.length}${first.nextCursor ? "+" : ""} hits on page 1)`);
  }
}

function queriesFor(sample: ReturnType<typeof row>): [string, SearchAnalysesFilter][] {
  return [
    [`a pod name (${sample.pod})`, { q: sample.pod }],
    ["OOMKilled", { q: "OOMKilled" }],
    ["CUDA out of memory (words)", { q: "CUDA out of memory" }],
    ['"CUDA out of memory" (phrase)', { q: '"CUDA out of memory"' }],
    ["a prefix (vllm-lla)", { q: "vllm-lla" }],
    ["a prefix (rea)", { q: "rea" }],
    ["OOMKilled in namespaces gpu-inference*", { q: "OOMKilled", namespace: "gpu-inference", match: "prefix" }],
    ["OOMKilled, last 7 days", { q: "OOMKilled", since: new Date(Date.now() - 7 * DAY).toISOString() }],
    ["no match (zebra)", { q: "zebra" }],
  ];
}

function pick(data: ReturnType<typeof rows>): ReturnType<typeof row> {
  const d = data[data.length >> 1];
  if (!d) throw new Error("no rows generated");
  return d;
}

async function sqlite(data: ReturnType<typeof rows>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "bench-search-"));
  try {
    const url = `file:${join(dir, "triage.sqlite")}`;
    await (await openStore(url)).close();
    const raw = new SqliteDatabase(join(dir, "triage.sqlite"));
    raw.pragma("journal_mode = WAL");
    const columns = Object.keys(data[0] ?? {});
    const insert = raw.prepare(`insert into analyses (${columns.join(", ")}) values (${columns.map((c) => `@${c}`).join(", ")})`);
    const t0 = performance.now();
    raw.transaction(() => {
      for (const d of data) insert.run(d);
    })();
    const size = raw.prepare("select page_count * page_size as b from pragma_page_count(), pragma_page_size()").get() as { b: number };
    raw.close();
    console.log(`SQLite: ${ANALYSES} analyses stored and indexed in ${((performance.now() - t0) / 1000).toFixed(1)} s (database ${(size.b / 2 ** 20).toFixed(0)} MiB)`);
    const store = await openStore(url);
    try {
      await timeQueries(store, queriesFor(pick(data)));
    } finally {
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function postgres(data: ReturnType<typeof rows>): Promise<void> {
  const cluster = await startPostgres();
  try {
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: await cluster.createDatabase("search"), max: 4 }) }) });
    try {
      const m = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
      if (m.error) throw m.error;
      const t0 = performance.now();
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < data.length; i += 500) {
          await trx
            .insertInto("analyses")
            .values(data.slice(i, i + 500))
            .execute();
        }
      });
      // A deployment's autovacuum analyzes the tables after a bulk load; the bench does it at once, so the
      // planner sees the real row counts (the search table's included) and its plans are the ones in production.
      await sql`analyze`.execute(db);
      console.log(`PostgreSQL: ${ANALYSES} analyses stored and indexed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      await timeQueries(new Store(db, () => new Date()), queriesFor(pick(data)));
    } finally {
      await db.destroy();
    }
  } finally {
    await cluster.stop();
  }
}

export async function run(): Promise<void> {
  const data = rows(Date.now());
  await sqlite(data);
  if (process.env.BENCH_SEARCH_PG !== "0") await postgres(data);
}
