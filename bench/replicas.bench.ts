import { webhookBody, wireAlert, type WireAlert } from "@/test/helpers/wire-alerts";
/**
 * Issue 18 item 6: the webhook bench's sustained rate and storm, in one run, on one console over SQLite
 * and on two consoles over one PostgreSQL database (deploy/ha). In the pair, every notification goes to
 * one replica and its redelivery to the other, and the storm goes to both at once, as an HA Alertmanager
 * pair sends it. After each part: the loss and duplicate audit by alert fingerprint, in the store
 * (analyses) and at the fake Gemini (calls), and the most Gemini calls in flight against the bound.
 */
import { startFakeGemini, type FakeGemini } from "../test/fakes/gemini-server";
import { startFakeKube, type FakeKube } from "../test/fakes/kube-server";
import { freePort } from "../test/helpers/alertmanager";
import { analysisRows } from "../test/helpers/analysis-rows";
import { startPostgres } from "../test/helpers/postgres";
import { ms, QUICK, startBenchConsole, startGeminiGate, summarize, type BenchConsole, type GeminiGate } from "./helpers";

export const name = "replicas";

const TOKEN = "bench-webhook-token-0123456789abcdef";
const API_KEY = "bench-key";
const CONCURRENCY = 2;
const GEMINI_DELAY_MS = 50;
const RATE = QUICK ? 40 : 150;
const DURATION_MS = QUICK ? 4_000 : 20_000;
const PER_REQUEST = 2;
const REDELIVERY_EVERY = 10;
const STORM_PAYLOADS = QUICK ? 4 : 10;
const STORM_PER_PAYLOAD = QUICK ? 25 : 100;
const DRAIN_LIMIT_MS = QUICK ? 240_000 : 900_000;
const REQUEST_TIMEOUT_MS = 10_000;


interface Replica {
  app: BenchConsole;
  webhook: string;
}

interface Setup {
  label: string;
  databaseUrl: string;
  replicas: Replica[];
}

/** A bench console with its webhook listener; without a database URL it keeps its own SQLite file. */
async function startReplica(kube: FakeKube, gate: GeminiGate, databaseUrl?: string): Promise<Replica> {
  const port = await freePort();
  const app = await startBenchConsole({
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    AUTH_MODE: "none",
    WEBHOOK_BEARER_TOKEN: TOKEN,
    WEBHOOK_LISTEN: `127.0.0.1:${port}`,
    KUBECONFIG: kube.writeKubeconfig(),
    CLUSTER_CONTEXTS: "demo=fake",
    GEMINI_API_KEY: API_KEY,
    GEMINI_BASE_URL: gate.url,
    GEMINI_CONCURRENCY: String(CONCURRENCY),
    AUTO_FILE_SEVERITIES: "none",
    ANALYSIS_COOLDOWN_SECONDS: "0",
  });
  return { app, webhook: `http://127.0.0.1:${port}/api/webhooks/alertmanager` };
}

async function post(r: Replica, body: string): Promise<{ status: number | string; ms: number }> {
  const t0 = performance.now();
  try {
    const res = await fetch(r.webhook, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}`, "user-agent": "Alertmanager/0.25.0" },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t0 };
  } catch (e) {
    return { status: e instanceof Error ? e.name : "error", ms: performance.now() - t0 };
  }
}

const tally = (values: Iterable<string>) => {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m.entries()].map(([k, v]) => `${k} ${v}`).join(", ") || "none";
};

/** Wait until every accepted alert has a finished analysis (or the limit passes); returns the time it took. */
async function drain(setup: Setup, accepted: Set<string>, t0: number): Promise<{ drained: boolean; seconds: number }> {
  const deadline = Date.now() + DRAIN_LIMIT_MS;
  for (;;) {
    const rows = await analysisRows(setup.databaseUrl);
    const finished = new Set(rows.filter((r) => r.status === "done" || r.status === "failed").map((r) => r.fingerprint));
    const left = [...accepted].filter((fp) => !finished.has(fp)).length;
    if (left === 0 || Date.now() > deadline) return { drained: left === 0, seconds: (performance.now() - t0) / 1000 };
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Lost: accepted, yet no analysis. Duplicated: more than one analysis, or more than one Gemini call. */
async function audit(setup: Setup, gemini: FakeGemini, alerts: WireAlert[], accepted: Set<string>): Promise<void> {
  const rows = await analysisRows(setup.databaseUrl);
  const perFp = new Map<string, number>();
  for (const r of rows) perFp.set(r.fingerprint, (perFp.get(r.fingerprint) ?? 0) + 1);
  const byId = new Map(alerts.map((a) => [a.labels.alert_id ?? "", a.fingerprint]));
  const calls = new Map<string, number>();
  for (const req of gemini.requests) {
    const fp = byId.get(/^alert_id=(\S+)$/m.exec(req.userText)?.[1] ?? "");
    if (fp) calls.set(fp, (calls.get(fp) ?? 0) + 1);
  }
  const sent = new Set(alerts.map((a) => a.fingerprint));
  const lost = [...accepted].filter((fp) => !perFp.has(fp)).length;
  const dupStore = [...sent].filter((fp) => (perFp.get(fp) ?? 0) > 1).length;
  const dupGemini = [...sent].filter((fp) => (calls.get(fp) ?? 0) > 1).length;
  const notCalled = [...accepted].filter((fp) => !calls.has(fp)).length;
  console.log(`    store: analyses [${tally(rows.filter((r) => sent.has(r.fingerprint)).map((r) => r.status))}]`);
  console.log(`    audit of ${accepted.size} accepted distinct alerts: LOST ${lost}, DUPLICATED in the store ${dupStore}, called Gemini twice ${dupGemini}, never called ${notCalled} (target 0, 0, 0, 0)`);
}

/** Open loop at RATE/s; every REDELIVERY_EVERY-th request resends a recent payload to the other replica. */
async function sustained(setup: Setup, gemini: FakeGemini): Promise<void> {
  gemini.reset();
  const total = Math.round((RATE * DURATION_MS) / 1000);
  const alerts: WireAlert[] = [];
  const sent: { body: string; fps: string[]; replica: number }[] = [];
  const accepted = new Set<string>();
  const results: { status: number | string; ms: number }[] = [];
  const inflight = new Set<Promise<void>>();
  const n = setup.replicas.length;
  const start = performance.now();
  let issued = 0;
  while (issued < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * RATE) / 1000) + 1);
    for (; issued < due; issued++) {
      let payload: (typeof sent)[number] | undefined;
      let to: number;
      if (issued % REDELIVERY_EVERY === REDELIVERY_EVERY - 1 && sent.length) {
        payload = sent[Math.max(0, sent.length - 1 - (issued % Math.min(sent.length, 50)))];
        to = ((payload?.replica ?? 0) + 1) % n;
      } else {
        const batch = Array.from({ length: PER_REQUEST }, (_, k) => wireAlert(`${setup.label}-rate-${issued}-${k}`, issued + k));
        alerts.push(...batch);
        to = issued % n;
        payload = { body: webhookBody(batch, `${setup.label}-rate-${issued}`), fps: batch.map((a) => a.fingerprint), replica: to };
        sent.push(payload);
      }
      const target = setup.replicas[to];
      if (!payload || !target) continue;
      const p = payload;
      const req = post(target, p.body).then((d) => {
        results.push(d);
        if (d.status === 202) for (const fp of p.fps) accepted.add(fp);
      });
      inflight.add(req);
      void req.finally(() => inflight.delete(req));
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const sendSeconds = (performance.now() - start) / 1000;
  await Promise.allSettled([...inflight]);
  const s = summarize(results.filter((r) => typeof r.status === "number").map((r) => r.ms));
  console.log(`  (b) open loop at ${RATE}/s for ${DURATION_MS / 1000} s: ${total} requests of ${PER_REQUEST} alerts (${total - sent.length} redeliveries${n > 1 ? ", each to the other replica" : ""})`);
  console.log(`    sent ${(total / sendSeconds).toFixed(0)}/s; latency p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}  max ${ms(s.max)}; statuses [${tally(results.map((r) => String(r.status)))}]`);
  const d = await drain(setup, accepted, start);
  console.log(`    ${d.drained ? "drained" : `NOT drained within ${DRAIN_LIMIT_MS / 1000} s`} ${d.seconds.toFixed(1)} s after the first request`);
  await audit(setup, gemini, alerts, accepted);
}

/** Every payload at once to every replica; the drain, the Gemini bound across replicas, the audit. */
async function storm(setup: Setup, gemini: FakeGemini, gate: GeminiGate): Promise<void> {
  gemini.reset();
  gate.reset();
  const alerts = Array.from({ length: STORM_PAYLOADS * STORM_PER_PAYLOAD }, (_, i) => wireAlert(`${setup.label}-storm-${i}`, i));
  const accepted = new Set<string>();
  const t0 = performance.now();
  const statuses = await Promise.all(
    Array.from({ length: STORM_PAYLOADS }, (_, p) => {
      const batch = alerts.slice(p * STORM_PER_PAYLOAD, (p + 1) * STORM_PER_PAYLOAD);
      const body = webhookBody(batch, `${setup.label}-storm-${p}`);
      return Promise.all(
        setup.replicas.map((r) =>
          post(r, body).then((d) => {
            if (d.status === 202) for (const a of batch) accepted.add(a.fingerprint);
            return String(d.status);
          }),
        ),
      );
    }),
  );
  const acceptMs = performance.now() - t0;
  console.log(`  (c) storm: ${STORM_PAYLOADS} payloads of ${STORM_PER_PAYLOAD} = ${alerts.length} alerts, each payload to ${setup.replicas.length === 1 ? "the console" : "both replicas"} at once; answered in ${ms(acceptMs)} [${tally(statuses.flat())}]`);
  const d = await drain(setup, accepted, t0);
  console.log(`    ${d.drained ? "drained" : `NOT drained within ${DRAIN_LIMIT_MS / 1000} s`} after ${d.seconds.toFixed(1)} s (${(accepted.size / d.seconds).toFixed(1)} analyses/s; Gemini held ${GEMINI_DELAY_MS} ms per call)`);
  console.log(`    Gemini calls ${gate.total()}; most in flight at once ${gate.maxInFlight()} (GEMINI_CONCURRENCY=${CONCURRENCY} for all replicas together; must never exceed it)`);
  await audit(setup, gemini, alerts, accepted);
}

export async function run(): Promise<void> {
  const kube = await startFakeKube();
  const gemini = await startFakeGemini({ apiKey: API_KEY });
  const gate = await startGeminiGate(gemini.url, GEMINI_DELAY_MS);
  const postgres = await startPostgres();
  const started: Replica[] = [];
  try {
    const pgUrl = await postgres.createDatabase("bench_replicas");
    const setups: Array<() => Promise<Setup>> = [
      async () => {
        const r = await startReplica(kube, gate);
        started.push(r);
        return { label: "sqlite", databaseUrl: `file:${r.app.databaseFile}`, replicas: [r] };
      },
      async () => {
        // Started together, as a Deployment's pods are.
        const pair = await Promise.all([startReplica(kube, gate, pgUrl), startReplica(kube, gate, pgUrl)]);
        started.push(...pair);
        return { label: "pg", databaseUrl: pgUrl, replicas: pair };
      },
    ];
    for (const make of setups) {
      const setup = await make();
      console.log(`\n${setup.replicas.length === 1 ? "one console over SQLite" : "two consoles over one PostgreSQL database"}:`);
      try {
        await sustained(setup, gemini);
        await storm(setup, gemini, gate);
      } catch (e) {
        for (const r of setup.replicas) console.error(`console output:\n${r.app.output().slice(-3000)}`);
        throw e;
      }
      for (const r of setup.replicas) await r.app.stop();
    }
  } finally {
    for (const r of started) await r.app.dispose();
    await postgres.stop();
    await gate.close();
    await gemini.close();
    await kube.close();
  }
}
