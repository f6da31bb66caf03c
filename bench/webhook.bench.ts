/**
 * Issue 6 item 7, against a console from the bench build with the fake Kubernetes and a fake Gemini
 * behind a counting delay gate: (a) time to the 202 for 1,000-alert payloads; (b) an open-loop
 * 300 requests/s for 30 s with ~10% exact redeliveries, then the store checked for lost and duplicated
 * jobs; (c) a storm of 2,000 distinct alerts drained, with the most Gemini calls seen at once.
 */
import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import { z } from "zod";
import { demoIncidents } from "@/lib/demo/incidents";
import { startFakeKube, type FakeKube } from "../test/fakes/kube-server";
import { startFakeGemini, type FakeGemini } from "../test/fakes/gemini-server";
import { ms, QUICK, startBenchConsole, startGeminiGate, summarize, type BenchConsole, type GeminiGate } from "./helpers";
import { freePort } from "../test/helpers/alertmanager";

export const name = "webhook";

const TOKEN = "bench-webhook-token-0123456789abcdef";
const API_KEY = "bench-key";
const CONCURRENCY = 2;
const GEMINI_DELAY_MS = 50;

const BIG_ALERTS = QUICK ? 200 : 1000;
const BIG_POSTS = QUICK ? 3 : 10;
const RATE = QUICK ? 100 : 300;
const DURATION_MS = QUICK ? 5_000 : 30_000;
const SMALL_ALERTS = 2;
const REDELIVERY_EVERY = 10;
const REQUEST_TIMEOUT_MS = 10_000;
const STORM_PAYLOADS = QUICK ? 4 : 20;
const STORM_PER_PAYLOAD = QUICK ? 50 : 100;
const STORM_DRAIN_LIMIT_MS = QUICK ? 180_000 : 900_000;
const EXPAND_LIMIT_MS = 180_000;

const targets = demoIncidents.map((i) => i.labels);
const startsAt = new Date(Date.now() - 10 * 60_000).toISOString();

interface WireAlert {
  status: "firing";
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** One distinct firing alert on a demo pod, as Alertmanager sends it (wire-facts §1.1). */
function wireAlert(id: string, n: number): WireAlert {
  const base: Record<string, string> = targets[n % targets.length] ?? {};
  const labels: Record<string, string> = { ...base, alert_id: id };
  return {
    status: "firing",
    labels,
    annotations: { summary: `${labels.namespace}/${labels.pod} needs attention`, runbook_url: "https://runbooks.acme.internal/ml-serving/model" },
    startsAt,
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: `http://prometheus:9090/graph?g0.expr=${encodeURIComponent(`kube_pod_container_status_restarts_total{pod="${labels.pod}"}`)}`,
    fingerprint: createHash("sha256").update(id).digest("hex").slice(0, 16),
  };
}

/** A version 4 webhook body, newline-terminated as Alertmanager's encoder writes it. */
function webhookBody(alerts: WireAlert[], group: string): string {
  const first = alerts[0]?.labels ?? {};
  return (
    JSON.stringify({
      receiver: "triage-bot",
      status: "firing",
      alerts,
      notification_reason: "first notification",
      groupLabels: { group },
      commonLabels: { alertname: first.alertname ?? "", namespace: first.namespace ?? "" },
      commonAnnotations: {},
      routeLabels: {},
      externalURL: "http://alertmanager:9093",
      version: "4",
      groupKey: `{}:{group="${group}"}`,
      truncatedAlerts: 0,
    }) + "\n"
  );
}

const answerSchema = z
  .object({ status: z.string().optional(), duplicate: z.boolean().optional(), duplicates: z.number().optional(), queued: z.number().optional() })
  .loose();

interface Delivery {
  status: number | string;
  ms: number;
  redelivery: boolean;
  /** The fake said this delivery was a duplicate (true), or new (false); undefined if it did not say. */
  duplicate?: boolean;
}

/** Where each console's dedicated webhook listener (WEBHOOK_LISTEN) answers. */
const listeners = new WeakMap<BenchConsole, string>();

/** A console with the dedicated webhook listener on its own loopback port, as a deployment would run it. */
async function startWebhookConsole(env: Record<string, string>): Promise<BenchConsole> {
  const port = await freePort();
  const app = await startBenchConsole({ ...env, WEBHOOK_LISTEN: `127.0.0.1:${port}` });
  listeners.set(app, `http://127.0.0.1:${port}`);
  return app;
}

async function post(app: BenchConsole, body: string, redelivery: boolean, via: "listener" | "next" = "listener"): Promise<Delivery> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${(via === "listener" && listeners.get(app)) || app.url}/api/webhooks/alertmanager`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}`, "user-agent": "Alertmanager/0.25.0" },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    const elapsed = performance.now() - t0;
    let duplicate: boolean | undefined;
    try {
      const a = answerSchema.safeParse(JSON.parse(text));
      if (a.success) duplicate = a.data.duplicate ?? (a.data.duplicates !== undefined && a.data.queued !== undefined ? a.data.queued === 0 && a.data.duplicates > 0 : undefined);
    } catch {
      // not JSON: the status says enough
    }
    return { status: res.status, ms: elapsed, redelivery, duplicate };
  } catch (e) {
    return { status: e instanceof Error ? e.name : "error", ms: performance.now() - t0, redelivery };
  }
}

function consoleEnv(kube: FakeKube, gate: GeminiGate): Record<string, string> {
  return {
    AUTH_MODE: "none",
    WEBHOOK_BEARER_TOKEN: TOKEN,
    KUBECONFIG: kube.writeKubeconfig(),
    CLUSTER_CONTEXTS: "demo=fake",
    GEMINI_API_KEY: API_KEY,
    GEMINI_BASE_URL: gate.url,
    GEMINI_CONCURRENCY: String(CONCURRENCY),
    AUTO_FILE_SEVERITIES: "none",
  };
}

const payloadSchema = z.object({ alert: z.object({ fingerprint: z.string() }).loose().optional() }).loose();

interface StoreView {
  jobsByKind: Map<string, Map<string, number>>;
  analyzeJobsPerFingerprint: Map<string, number>;
  analysesPerFingerprint: Map<string, number>;
  analysisStatus: Map<string, number>;
  analysisSource: Map<string, number>;
}

function bump<K>(m: Map<K, number>, k: K, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

/** Read the console's SQLite file directly (WAL: safe beside the running server, and after it stopped). */
function readStore(file: string): StoreView {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    const view: StoreView = { jobsByKind: new Map(), analyzeJobsPerFingerprint: new Map(), analysesPerFingerprint: new Map(), analysisStatus: new Map(), analysisSource: new Map() };
    const jobRow = z.object({ kind: z.string(), status: z.string(), payload_json: z.string(), analysis_id: z.string().nullable() });
    const analysisRow = z.object({ id: z.string(), fingerprint: z.string(), status: z.string(), source: z.string().nullable() });
    const analysisFingerprint = new Map<string, string>();
    for (const raw of db.prepare("SELECT id, fingerprint, status, source FROM analyses").all()) {
      const a = analysisRow.parse(raw);
      analysisFingerprint.set(a.id, a.fingerprint);
      bump(view.analysesPerFingerprint, a.fingerprint);
      bump(view.analysisStatus, a.status);
      bump(view.analysisSource, a.source ?? "none");
    }
    for (const raw of db.prepare("SELECT kind, status, payload_json, analysis_id FROM jobs").all()) {
      const j = jobRow.parse(raw);
      const byStatus = view.jobsByKind.get(j.kind) ?? new Map<string, number>();
      bump(byStatus, j.status);
      view.jobsByKind.set(j.kind, byStatus);
      if (j.kind !== "analyze") continue;
      const p = payloadSchema.safeParse(JSON.parse(j.payload_json));
      const fp = (p.success ? p.data.alert?.fingerprint : undefined) ?? (j.analysis_id ? analysisFingerprint.get(j.analysis_id) : undefined) ?? "?";
      bump(view.analyzeJobsPerFingerprint, fp);
    }
    return view;
  } finally {
    db.close();
  }
}

/** Jobs still waiting to be expanded or run, per kind and status. */
function pending(file: string, kinds?: string[]): number {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    const rows = db.prepare("SELECT kind, COUNT(*) AS n FROM jobs WHERE status IN ('queued', 'running') GROUP BY kind").all();
    let n = 0;
    for (const raw of rows) {
      const r = z.object({ kind: z.string(), n: z.number() }).parse(raw);
      if (!kinds || kinds.includes(r.kind)) n += r.n;
    }
    return n;
  } finally {
    db.close();
  }
}

async function waitUntil(fn: () => boolean, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (fn()) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return fn();
}

const counts = (m: Map<string, number> | undefined) => [...(m ?? new Map<string, number>()).entries()].map(([k, v]) => `${k} ${v}`).join(", ") || "none";

/** Compare what the console said it accepted with what the store holds. */
function audit(view: StoreView, accepted: Set<string>, answeredOther: Set<string>, distinctPayloads: number): void {
  let lost = 0;
  let duplicated = 0;
  for (const fp of accepted) {
    const jobs = view.analyzeJobsPerFingerprint.get(fp) ?? 0;
    const analyses = view.analysesPerFingerprint.get(fp) ?? 0;
    if (jobs === 0 && analyses === 0) lost++;
    if (jobs > 1 || analyses > 1) duplicated++;
  }
  let strays = 0;
  for (const fp of new Set([...view.analyzeJobsPerFingerprint.keys(), ...view.analysesPerFingerprint.keys()])) {
    if (!accepted.has(fp) && !answeredOther.has(fp)) strays++;
  }
  const fromUnanswered = [...answeredOther].filter((fp) => !accepted.has(fp) && (view.analyzeJobsPerFingerprint.has(fp) || view.analysesPerFingerprint.has(fp))).length;
  console.log(`    store: jobs ${[...view.jobsByKind.entries()].map(([k, m]) => `${k} [${counts(m)}]`).join("; ")}`);
  console.log(`    store: analyses [${counts(view.analysisStatus)}]`);
  const webhookJobs = [...(view.jobsByKind.get("webhook") ?? new Map<string, number>()).values()].reduce((a, b) => a + b, 0);
  if (view.jobsByKind.has("webhook")) console.log(`    webhook jobs ${webhookJobs} for ${distinctPayloads} distinct accepted payloads${webhookJobs > distinctPayloads ? "  <-- redeliveries stored twice" : ""}`);
  console.log(`    accepted distinct alerts ${accepted.size}: LOST ${lost}, DUPLICATED ${duplicated} (target 0 and 0)`);
  if (fromUnanswered) console.log(`    ${fromUnanswered} alert(s) got jobs although their request got no 202 (client timeout or error after the store committed; Alertmanager would resend them and dedup holds)`);
  if (strays) console.log(`    ${strays} fingerprint(s) in the store that this bench never sent`);
}

/** Sequential small posts on a quiet console: the route's own cost, before any load. */
async function idleBaseline(app: BenchConsole, accepted: Set<string>): Promise<number> {
  const times: number[] = [];
  const runs = 20;
  for (let p = 0; p < runs; p++) {
    const alerts = Array.from({ length: SMALL_ALERTS }, (_, k) => wireAlert(`idle-${p}-${k}`, p + k));
    const d = await post(app, webhookBody(alerts, `idle-${p}`), false);
    times.push(d.ms);
    if (d.status === 202) for (const a of alerts) accepted.add(a.fingerprint);
  }
  const s = summarize(times);
  console.log(`(a0) ${runs} payloads of ${SMALL_ALERTS} alerts, one at a time, worker idle (Gemini held): p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  (the route's own cost)`);
  return runs;
}

async function bigPayloads(app: BenchConsole, accepted: Set<string>, tag: string, when: string): Promise<number> {
  const times: number[] = [];
  const statuses = new Map<string, number>();
  let bytes = 0;
  for (let p = 0; p < BIG_POSTS; p++) {
    const alerts = Array.from({ length: BIG_ALERTS }, (_, i) => wireAlert(`big-${tag}-${p}-${i}`, i));
    const body = webhookBody(alerts, `big-${tag}-${p}`);
    bytes = body.length;
    const d = await post(app, body, false);
    bump(statuses, String(d.status));
    times.push(d.ms);
    if (d.status === 202) for (const a of alerts) accepted.add(a.fingerprint);
  }
  const s = summarize(times);
  console.log(`(a) ${BIG_POSTS} distinct payloads of ${BIG_ALERTS} alerts (${(bytes / 1024).toFixed(0)} KiB each), one after another, ${when}:`);
  console.log(`    time to answer p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  max ${ms(s.max)}   statuses [${counts(statuses)}]   (target < 200 ms)`);
  return BIG_POSTS;
}

/** Closed loop: a few senders back to back for a few seconds, the most the console answers per second. */
async function capacity(app: BenchConsole, accepted: Set<string>, via: "listener" | "next"): Promise<number> {
  const senders = 16;
  const until = performance.now() + (QUICK ? 3_000 : 5_000);
  let answered = 0;
  let n = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (performance.now() < until) {
        const i = n++;
        const alerts = Array.from({ length: SMALL_ALERTS }, (_, k) => wireAlert(`cap-${via}-${i}-${k}`, i + k));
        const d = await post(app, webhookBody(alerts, `cap-${via}-${i}`), false, via);
        if (d.status === 202) {
          answered++;
          for (const a of alerts) accepted.add(a.fingerprint);
        }
      }
    }),
  );
  const where = via === "listener" ? "dedicated listener (WEBHOOK_LISTEN)" : "console port (the Next route)";
  console.log(`(b0) capacity, ${where}: ${senders} senders back to back, payloads of ${SMALL_ALERTS} alerts: ${(answered / ((performance.now() - t0) / 1000)).toFixed(0)} accepted/s`);
  return answered;
}

/** Open loop: requests leave on schedule whether or not earlier ones were answered. */
async function steadyRate(app: BenchConsole, accepted: Set<string>, answeredOther: Set<string>): Promise<number> {
  // Every alert sent: one whose request never settled was neither accepted nor refused, but was sent.
  const sentFps = new Set<string>();
  const total = Math.round((RATE * DURATION_MS) / 1000);
  const sent: { body: string; fps: string[] }[] = [];
  const results: Delivery[] = [];
  const inflight = new Set<Promise<void>>();
  const acceptedPayloads = new Set<number>();
  let maxLag = 0;
  let maxOpen = 0;
  let issued = 0;
  const start = performance.now();
  while (issued < total) {
    const now = performance.now() - start;
    const due = Math.min(total, Math.floor((now * RATE) / 1000) + 1);
    for (; issued < due; issued++) {
      maxLag = Math.max(maxLag, now - (issued * 1000) / RATE);
      const redeliver = issued % REDELIVERY_EVERY === REDELIVERY_EVERY - 1 && sent.length > 0;
      let index: number;
      if (redeliver) {
        // A recent payload, as Alertmanager's retry or an HA peer would resend it: the same bytes.
        index = Math.max(0, sent.length - 1 - ((issued * 7919) % Math.min(sent.length, 300)));
      } else {
        const alerts = Array.from({ length: SMALL_ALERTS }, (_, k) => wireAlert(`rate-${issued}-${k}`, issued + k));
        sent.push({ body: webhookBody(alerts, `rate-${issued}`), fps: alerts.map((a) => a.fingerprint) });
        index = sent.length - 1;
      }
      const payload = sent[index];
      if (!payload) continue;
      for (const fp of payload.fps) sentFps.add(fp);
      const p = post(app, payload.body, redeliver).then((d) => {
        results.push(d);
        if (d.status === 202) {
          acceptedPayloads.add(index);
          for (const fp of payload.fps) accepted.add(fp);
        } else for (const fp of payload.fps) answeredOther.add(fp);
      });
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      maxOpen = Math.max(maxOpen, inflight.size);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const sendSeconds = (performance.now() - start) / 1000;
  // Each request has its own timeout; this bound only guards against a fetch that ignores its signal.
  let hardStop: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled([...inflight]), new Promise((r) => (hardStop = setTimeout(r, REQUEST_TIMEOUT_MS + 10_000)))]);
  clearTimeout(hardStop);
  const neverSettled = inflight.size;
  for (const fp of sentFps) if (!accepted.has(fp)) answeredOther.add(fp);
  const wallSeconds = (performance.now() - start) / 1000;

  const statuses = new Map<string, number>();
  for (const r of results) bump(statuses, String(r.status));
  const answered = results.filter((r) => typeof r.status === "number");
  const s = summarize(answered.map((r) => r.ms));
  const redeliveries = results.filter((r) => r.redelivery);
  const saidDup = redeliveries.filter((r) => r.duplicate === true).length;
  const saidNew = redeliveries.filter((r) => r.duplicate === false).length;
  console.log(`(b) open loop at ${RATE}/s for ${DURATION_MS / 1000} s: ${total} requests (${sent.length} distinct payloads of ${SMALL_ALERTS} alerts, ${redeliveries.length} exact redeliveries), keep-alive fetch`);
  console.log(`    achieved ${(total / sendSeconds).toFixed(0)}/s sent, ${(answered.length / wallSeconds).toFixed(0)}/s answered; sender lag max ${ms(maxLag)}; most requests open at once ${maxOpen}`);
  console.log(`    latency p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}  max ${ms(s.max)}   statuses [${counts(statuses)}]`);
  if (neverSettled) console.log(`    NOTE: ${neverSettled} request(s) never settled within ${(REQUEST_TIMEOUT_MS + 10_000) / 1000} s, despite their ${REQUEST_TIMEOUT_MS / 1000} s timeout`);
  console.log(`    redeliveries answered duplicate ${saidDup}, new ${saidNew}, unspecified ${redeliveries.length - saidDup - saidNew} (a redelivery may overtake its original, and then the original is the duplicate)`);
  return acceptedPayloads.size;
}

async function acceptance(kube: FakeKube, gemini: FakeGemini): Promise<void> {
  const gate = await startGeminiGate(gemini.url, GEMINI_DELAY_MS);
  let app: BenchConsole | undefined;
  try {
    app = await startWebhookConsole(consoleEnv(kube, gate));
    const accepted = new Set<string>();
    const answeredOther = new Set<string>();
    // Warm the route (first request builds the services and opens the store), as in production after start.
    const warm = [wireAlert("warm-0", 0)];
    const w = await post(app, webhookBody(warm, "warm"), false);
    if (w.status !== 202) throw new Error(`warm-up webhook answered ${w.status}; the console is not accepting webhooks:\n${app.output().slice(-2000)}`);
    accepted.add(warm[0]?.fingerprint ?? "");

    // First with the model holding every call, so the two worker slots wait and use no CPU: the
    // route's own cost. Then released: the same while analyses run in the same process.
    gate.hold();
    const idleDistinct = await idleBaseline(app, accepted);
    const quietDistinct = await bigPayloads(app, accepted, "quiet", "worker idle (Gemini held)");
    gate.release();
    const bigDistinct = quietDistinct + (await bigPayloads(app, accepted, "busy", `worker analyzing (Gemini answering in ${GEMINI_DELAY_MS} ms)`));
    // A real model takes seconds per call, so two analyses in flight wait on the network, not the CPU.
    // With the fake answering in 50 ms they would take the whole core; hold it, as a slow model would.
    gate.hold();
    console.log("(b0)/(b) with the model holding its calls (as a real Gemini taking seconds per call): the worker waits on the network, not the CPU");
    const capacityDistinct = (await capacity(app, accepted, "next")) + (await capacity(app, accepted, "listener"));
    const rateDistinct = capacityDistinct + (await steadyRate(app, accepted, answeredOther));
    gate.release();

    const file = app.databaseFile;
    const expanded = await waitUntil(() => pending(file, ["webhook"]) === 0, EXPAND_LIMIT_MS);
    if (!expanded) console.log(`    NOTE: webhook payloads still unexpanded after ${EXPAND_LIMIT_MS / 1000} s; counted as lost below unless their analyze jobs exist`);
    await app.stop();
    console.log("    after (a) and (b), console stopped, store inspected:");
    audit(readStore(file), accepted, answeredOther, 1 + idleDistinct + bigDistinct + rateDistinct);
  } catch (e) {
    if (app) console.error(`console output:\n${app.output().slice(-3000)}`);
    throw e;
  } finally {
    await app?.dispose();
    await gate.close();
  }
}

async function storm(kube: FakeKube, gemini: FakeGemini): Promise<void> {
  const gate = await startGeminiGate(gemini.url, GEMINI_DELAY_MS);
  let app: BenchConsole | undefined;
  try {
    const started = await startWebhookConsole(consoleEnv(kube, gate));
    app = started;
    const w = await post(started, webhookBody([], "warm"), false);
    if (w.status !== 202) throw new Error(`warm-up webhook answered ${w.status}:\n${app.output().slice(-2000)}`);
    gate.reset();
    const accepted = new Set<string>();
    const total = STORM_PAYLOADS * STORM_PER_PAYLOAD;
    const t0 = performance.now();
    const posts = await Promise.all(
      Array.from({ length: STORM_PAYLOADS }, (_, p) => {
        const alerts = Array.from({ length: STORM_PER_PAYLOAD }, (_, i) => wireAlert(`storm-${p}-${i}`, p * STORM_PER_PAYLOAD + i));
        return post(started, webhookBody(alerts, `storm-${p}`), false).then((d) => {
          if (d.status === 202) for (const a of alerts) accepted.add(a.fingerprint);
          return d;
        });
      }),
    );
    const acceptMs = performance.now() - t0;
    const file = started.databaseFile;
    const drained = await waitUntil(() => pending(file) === 0, STORM_DRAIN_LIMIT_MS);
    const drainMs = performance.now() - t0;
    await started.stop();
    const view = readStore(file);
    const statuses = new Map<string, number>();
    for (const d of posts) bump(statuses, String(d.status));
    console.log(`(c) storm: ${STORM_PAYLOADS} payloads of ${STORM_PER_PAYLOAD} = ${total} distinct alerts posted at once; all answered in ${ms(acceptMs)} [${counts(statuses)}]`);
    console.log(
      `    ${drained ? "drained" : `NOT drained within ${STORM_DRAIN_LIMIT_MS / 1000} s`} after ${(drainMs / 1000).toFixed(1)} s ` +
        `(${(accepted.size / (drainMs / 1000)).toFixed(1)} analyses/s; Gemini held ${GEMINI_DELAY_MS} ms per call)`,
    );
    console.log(`    Gemini calls ${gate.total()}; most in flight at once ${gate.maxInFlight()} (GEMINI_CONCURRENCY=${CONCURRENCY}; must never exceed it)`);
    console.log(`    analyses [${counts(view.analysisStatus)}], report sources [${counts(view.analysisSource)}]`);
    audit(view, accepted, new Set(), STORM_PAYLOADS);
  } catch (e) {
    if (app) console.error(`console output:\n${app.output().slice(-3000)}`);
    throw e;
  } finally {
    await app?.dispose();
    await gate.close();
  }
}

export async function run(): Promise<void> {
  console.log("Webhooks go to the dedicated listener (WEBHOOK_LISTEN), where deploy/ points Alertmanager: the same receiveWebhook() as the Next route, without Next's page machinery.");
  const kube = await startFakeKube();
  const gemini = await startFakeGemini({ apiKey: API_KEY });
  try {
    await acceptance(kube, gemini);
    await storm(kube, gemini);
  } finally {
    await gemini.close();
    await kube.close();
  }
}
