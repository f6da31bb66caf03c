/**
 * Issue 12 item 8: one notification of 10,000 resolved alerts (the most that fit under the 1 MiB limit)
 * posted to the dedicated webhook listener of a console from the bench build, reading a real
 * Alertmanager; twice: alerts the console never analyzed (the issue's storm: no job to do), then alerts
 * that each have an analysis (10,000 resolve jobs). While the console validates, stores and works off
 * each, /api/health and /api/alerts are requested on a fixed schedule (open loop, every 50 ms each)
 * and timed; target p99 < 200 ms for both. BENCH_CPU_PROF=dir profiles the console (bench/cpu-profile.ts).
 */
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import { z } from "zod";
import { startFakeKube } from "../test/fakes/kube-server";
import { freePort, startAlertmanager, type RunningAlertmanager } from "../test/helpers/alertmanager";
import { ms, QUICK, startBenchConsole, summarize, type BenchConsole } from "./helpers";

export const name = "webhook-resolve";

const TOKEN = "bench-webhook-token-0123456789abcdef";
const ALERTS = QUICK ? 2_000 : 10_000;
const PROBE_EVERY_MS = 50;
const IDLE_MS = 10_000;
const DRAIN_LIMIT_MS = QUICK ? 120_000 : 600_000;
const MIN_WINDOW_MS = 5_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** Resolved alerts as short as Alertmanager's encoder allows (one label, no annotations, no endsAt), so 10,000 fit in 1 MiB (985 KiB). */
function resolvedBody(n: number, tag = ""): string {
  const alerts = Array.from({ length: n }, (_, i) => ({
    status: "resolved",
    labels: { a: String(i) },
    startsAt: "2026-11-20T13:00:00Z",
    fingerprint: `${tag}${i.toString(16).padStart(6, "0")}`,
  }));
  return JSON.stringify({ version: "4", receiver: "triage", status: "resolved", alerts }) + "\n";
}

/** A finished analysis for each fingerprint resolvedBody(n, tag) carries, written straight into the console's database. */
function seedAnalyses(file: string, n: number, tag: string): void {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    const insert = db.prepare("INSERT INTO analyses (id, fingerprint, status, trigger, episode, created_at) VALUES (?, ?, 'done', 'webhook', ?, ?)");
    const now = new Date().toISOString();
    db.transaction(() => {
      for (let i = 0; i < n; i++) insert.run(randomUUID(), `${tag}${i.toString(16).padStart(6, "0")}`, "2026-11-20T13:00:00.000Z", now);
    })();
  } finally {
    db.close();
  }
}

function pendingJobs(file: string): number {
  const db = new Database(file, { fileMustExist: true, readonly: true });
  try {
    db.pragma("busy_timeout = 5000");
    return z.object({ n: z.number() }).parse(db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE status IN ('queued', 'running')").get()).n;
  } finally {
    db.close();
  }
}

interface Probe {
  /** Latencies of answered requests, and how many failed or timed out. */
  stop(): Promise<{ times: number[]; failures: number }>;
}

/** Request url every PROBE_EVERY_MS whether or not earlier requests were answered. */
function probe(url: string): Probe {
  const times: number[] = [];
  let failures = 0;
  const inflight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const t0 = performance.now();
    const p = fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
      .then(async (res) => {
        await res.arrayBuffer();
        if (res.ok) times.push(performance.now() - t0);
        else failures++;
      })
      .catch(() => {
        failures++;
      });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }, PROBE_EVERY_MS);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...inflight]);
      return { times, failures };
    },
  };
}

function line(what: string, r: { times: number[]; failures: number }): string {
  const s = summarize(r.times);
  return `${what}: n ${s.n}  p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  max ${ms(s.max)}${r.failures ? `  failed ${r.failures}` : ""}`;
}

export async function run(): Promise<void> {
  const kube = await startFakeKube();
  let am: RunningAlertmanager | undefined;
  let app: BenchConsole | undefined;
  try {
    am = await startAlertmanager();
    await am.postAlerts(Array.from({ length: 200 }, (_, i) => ({ labels: { alertname: "ModelPodNotRunning", severity: "critical", namespace: "ml-serving", pod: `model-${i}` } })));
    await am.waitForAlerts(200, 60_000);
    const listen = await freePort();
    app = await startBenchConsole({
      AUTH_MODE: "none",
      WEBHOOK_BEARER_TOKEN: TOKEN,
      WEBHOOK_LISTEN: `127.0.0.1:${listen}`,
      ALERTMANAGER_URL: `bench=${am.url}`,
      KUBECONFIG: kube.writeKubeconfig(),
      CLUSTER_CONTEXTS: "demo=fake",
      AUTO_FILE_SEVERITIES: "none",
    });
    const webhookUrl = `http://127.0.0.1:${listen}/api/webhooks/alertmanager`;
    // Warm both routes and the listener (the first request builds the services and opens the store).
    await fetch(`${app.url}/api/alerts`).then((r) => r.arrayBuffer());
    await fetch(webhookUrl, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: resolvedBody(1, "warm") }).then((r) => r.arrayBuffer());

    const idleHealth = probe(`${app.url}/api/health`);
    const idleAlerts = probe(`${app.url}/api/alerts`);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const idle = [await idleHealth.stop(), await idleAlerts.stop()] as const;
    console.log(`  idle, ${IDLE_MS / 1000} s before:   ${line("/api/health", idle[0])};  ${line("/api/alerts", idle[1])}`);

    const post = async (tag: string, what: string) => {
      const body = resolvedBody(ALERTS, tag);
      const health = probe(`${app?.url}/api/health`);
      const alerts = probe(`${app?.url}/api/alerts`);
      const t0 = performance.now();
      const res = await fetch(webhookUrl, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body, signal: AbortSignal.timeout(120_000) });
      const answer = await res.text();
      const acceptMs = performance.now() - t0;
      let drained = false;
      while (performance.now() - t0 < DRAIN_LIMIT_MS) {
        if (pendingJobs(file) === 0) {
          drained = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      const drainMs = performance.now() - t0;
      // Probe for a few seconds at least, so a quick intake still leaves enough requests for a p99.
      await new Promise((r) => setTimeout(r, Math.max(0, MIN_WINDOW_MS - drainMs)));
      const during = [await health.stop(), await alerts.stop()] as const;
      console.log(`${ALERTS} resolved alerts ${what} (${(Buffer.byteLength(body) / 1024).toFixed(0)} KiB) to the dedicated listener: HTTP ${res.status} in ${ms(acceptMs)} ${answer.slice(0, 120)}`);
      console.log(`  its resolve jobs ${drained ? "drained" : `NOT drained within ${DRAIN_LIMIT_MS / 1000} s`} ${(drainMs / 1000).toFixed(1)} s after the post`);
      console.log(`  while processed:  ${line("/api/health", during[0])};  ${line("/api/alerts", during[1])}   (target p99 < 200 ms)`);
    };
    const file = app.databaseFile;
    await post("", "never analyzed (issue 12's storm)");
    // The worst case: every alert was analyzed, so each resolution is a job that marks its analysis.
    seedAnalyses(file, ALERTS, "k");
    await post("k", "each with an analysis");
  } catch (e) {
    if (app) console.error(`console output:\n${app.output().slice(-3000)}`);
    throw e;
  } finally {
    await app?.dispose();
    await am?.stop();
    await kube.close();
  }
}
