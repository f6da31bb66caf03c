import http from "node:http";
import { expect } from "@playwright/test";
import { z } from "zod";
import { buildDemoCluster, type DemoClusterState, type DemoPod } from "@/lib/demo/evidence";
import { analysisSchema, analysisSummarySchema } from "@/lib/store/models";
import { freePort, startAlertmanager, type PostableAlert, type RunningAlertmanager, type WebhookReceiver } from "@/test/helpers/alertmanager";
import { startFakeKube, type FakeKube } from "@/test/fakes/kube-server";
import { startFakeGemini, type FakeGemini } from "@/test/fakes/gemini-server";
import { startFakeGitHub, type FakeGitHub } from "@/test/fakes/github-server";
import { CONTAINER, NS, POD, SECRETS, oomBundle } from "@/test/analysis/gemini-fixture";
import { startConsole, type RunningConsole } from "./harness";

/**
 * A whole console for one spec: fake Kubernetes (the demo incidents plus the OOMKilled vLLM pod whose
 * logs and events carry planted secrets), fake Gemini, fake GitHub, a real Alertmanager and the
 * production build pointed at all of them. Each spec starts its own and stops it in afterAll.
 */

export { CONTAINER, NS, POD, SECRETS };
export const REPO = "acme/incidents";
export const WEBHOOK_TOKEN = "e2e-webhook-token-0123456789abcdef";

/** The vLLM pod's previous logs get this many filler lines before the kill, so a cited line is off-screen. */
export const FILLER_LINES = 300;

/** The OOMKilled vLLM pod's alert, as Prometheus would send it. */
export function oomAlert(extra: Partial<PostableAlert> = {}): PostableAlert {
  return {
    labels: { alertname: "ModelPodOOMKilled", severity: "critical", cluster: "prod-eu", namespace: NS, pod: POD, container: CONTAINER },
    annotations: { summary: `Model pod ${NS}/${POD} was OOMKilled`, description: "Container vllm was terminated with reason OOMKilled (exit code 137)." },
    startsAt: new Date(Date.now() - 5 * 60_000).toISOString(),
    ...extra,
  };
}

/** A copy of the vLLM pod under another name, with the given logs (for pods the tests plant text in). */
export function podLike(name: string, logs: { current?: string; previous?: string }): DemoPod {
  const b = oomBundle();
  const pod = z.record(z.string(), z.unknown()).parse(JSON.parse(JSON.stringify(b.pod ?? {}).replaceAll(POD, name)));
  return { namespace: NS, name, pod, logs: { [CONTAINER]: logs } };
}

/** The demo cluster with the vLLM pod replaced by the planted-secret one (padded previous logs), plus extra pods. */
export function seededCluster(extraPods: DemoPod[] = []): DemoClusterState {
  const state = buildDemoCluster();
  const b = oomBundle();
  const prev = (b.previousLogs ?? "").split("\n");
  const filler = Array.from({ length: FILLER_LINES }, (_, i) => `INFO 11-20 09:41:${String(36 + (i % 20)).padStart(2, "0")} [engine.py:${300 + i}] scheduled batch ${i}: 16 running, 0 waiting`);
  const previous = [...prev.slice(0, -1), ...filler, ...prev.slice(-1)].join("\n");
  state.pods = state.pods.filter((p) => !(p.namespace === NS && p.name === POD));
  state.events = state.events.filter((e) => !JSON.stringify(e).includes(POD));
  state.pods.push({ namespace: NS, name: POD, pod: b.pod ?? {}, logs: { [CONTAINER]: { current: b.logs, previous } } }, ...extraPods);
  state.events.push(...b.events);
  return state;
}

export interface StackOptions {
  /** Extra console environment (AUTH_MODE, policies...). An empty string unsets a variable. */
  env?: Record<string, string>;
  /** Alerts posted to Alertmanager before the console starts. */
  alerts?: PostableAlert[];
  extraPods?: DemoPod[];
  /** Point Alertmanager's webhook at the console (with WEBHOOK_TOKEN). */
  webhook?: boolean;
  /** Give the console a GitHub token and repository (default true). */
  github?: boolean;
  /** The console's PROMETHEUS_URL (a real Prometheus from test/helpers/prometheus); default none, so nothing is read. */
  prometheusUrl?: string;
}

export interface Stack {
  console: RunningConsole;
  url: string;
  am: RunningAlertmanager;
  kube: FakeKube;
  gemini: FakeGemini;
  github: FakeGitHub;
  stop(): Promise<void>;
}

/** Start fakes, Alertmanager and a console wired to them. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const [kube, gemini, github] = await Promise.all([
    startFakeKube({ state: seededCluster(opts.extraPods) }),
    startFakeGemini(),
    startFakeGitHub({ repos: [REPO] }),
  ]);
  const stops: Array<() => Promise<void>> = [() => kube.close(), () => gemini.close(), () => github.close()];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const port = await freePort();
    const webhook: WebhookReceiver | undefined = opts.webhook
      ? { url: `http://127.0.0.1:${port}/api/webhooks/alertmanager`, bearerToken: WEBHOOK_TOKEN }
      : undefined;
    const am = await startAlertmanager({ webhook });
    stops.push(() => am.stop());
    if (opts.alerts?.length) {
      await am.postAlerts(opts.alerts);
      await am.waitForAlerts(opts.alerts.length);
    }
    const env: Record<string, string> = {
      ALERTMANAGER_URL: `e2e=${am.url}`,
      KUBECONFIG: kube.writeKubeconfig(),
      // The alerts carry cluster="prod-eu": the fake is that cluster (an unknown cluster is refused, never read here).
      CLUSTER_NAME: "prod-eu",
      KUBE_TIMEOUT_MS: "10000",
      // Hermetic unless a spec brings its own: the alerts' generatorURL names a Prometheus that does not exist here.
      PROMETHEUS_URL: opts.prometheusUrl ?? "none",
      GEMINI_API_KEY: "test-key",
      GEMINI_BASE_URL: gemini.url,
      GEMINI_MODEL: "gemini-3.8-flash",
      WEBHOOK_BEARER_TOKEN: WEBHOOK_TOKEN,
      CONSOLE_URL: `http://127.0.0.1:${port}`,
      RATE_LIMIT_PER_MINUTE: "10000",
      ...(opts.github === false ? {} : { GITHUB_TOKEN: "test-token", GITHUB_REPOSITORY: REPO, GITHUB_API_URL: github.url }),
      ...opts.env,
    };
    const app = await startConsole(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== "")), { port });
    stops.push(() => app.stop());
    return { console: app, url: app.url, am, kube, gemini, github, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** A loopback listener that counts every request: remote-image and frame beacons must never reach it. */
export async function startBeacon(): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method ?? "GET"} ${req.url ?? "/"}`);
    res.writeHead(200, { "content-type": "image/png" });
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("beacon got no TCP port");
  return {
    url: `http://127.0.0.1:${addr.port}`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const listSchema = z.object({ analyses: z.array(analysisSummarySchema), nextCursor: z.string().optional().nullable() });

/** GET a console API path as JSON, validated. */
export async function getJson<T extends z.ZodType>(base: string, path: string, schema: T, headers: Record<string, string> = {}): Promise<z.infer<T>> {
  const res = await fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${path} -> ${res.status}: ${text.slice(0, 500)}`);
  return schema.parse(JSON.parse(text));
}

/** Every analysis the console lists for a query (following cursors). */
export async function listAnalyses(base: string, query: Record<string, string> = {}, headers: Record<string, string> = {}) {
  const out: z.infer<typeof analysisSummarySchema>[] = [];
  let cursor: string | undefined;
  do {
    const q = new URLSearchParams({ limit: "500", ...query, ...(cursor ? { cursor } : {}) });
    const page = await getJson(base, `/api/analyses?${q}`, listSchema, headers);
    out.push(...page.analyses);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** One analysis with its bundle and report. */
export function getAnalysis(base: string, id: string, headers: Record<string, string> = {}) {
  return getJson(base, `/api/analyses/${encodeURIComponent(id)}`, analysisSchema, headers);
}

/** Wait (generously: the machine is shared) until fn returns a value. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 90_000): Promise<T> {
  let value: T | undefined | false;
  await expect
    .poll(
      async () => {
        value = await fn();
        return value !== undefined && value !== false;
      },
      { message: `waiting for ${what}`, timeout: timeoutMs, intervals: [200, 500, 1000] },
    )
    .toBe(true);
  if (value === undefined || value === false) throw new Error(`no value for ${what}`);
  return value;
}

/** The fingerprint Alertmanager gave the alert with these labels. */
export async function fingerprintOf(am: RunningAlertmanager, labels: Record<string, string>): Promise<string> {
  const filter = Object.entries(labels)
    .map(([k, v]) => `filter=${encodeURIComponent(`${k}=${JSON.stringify(v)}`)}`)
    .join("&");
  const alerts = await getJson(am.url, `/api/v2/alerts?${filter}`, z.array(z.object({ fingerprint: z.string() })));
  const fp = alerts[0]?.fingerprint;
  if (!fp || alerts.length !== 1) throw new Error(`expected one alert for ${JSON.stringify(labels)}, Alertmanager has ${alerts.length}`);
  return fp;
}
