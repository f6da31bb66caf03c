import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NextRequest } from "next/server";
import { resetConfigForTests } from "@/lib/config";
import { USER_HEADER } from "@/lib/auth/authenticate";
import { PEER_HEADER, PEER_PROOF_HEADER, PEER_PROTO_HEADER, signPeer } from "@/lib/auth/peer";
import { getServices, type Services } from "@/lib/server/services";
import { buildDemoCluster, type DemoClusterState } from "@/lib/demo/evidence";
import { startFakeKube, type FakeKube } from "@/test/fakes/kube-server";
import { startFakeGemini, type FakeGemini } from "@/test/fakes/gemini-server";
import { startFakeGitHub, type FakeGitHub } from "@/test/fakes/github-server";
import { CONTAINER, NS, POD, SECRETS, oomBundle } from "@/test/analysis/gemini-fixture";

/**
 * An in-process console for route tests: fake Kubernetes (the demo incidents, with the vLLM pod replaced
 * by one whose logs, events and annotations carry planted secrets), fake Gemini and fake GitHub on
 * loopback, a fresh SQLite file, and process.env pointing at all of them. Route handlers are called as
 * Next would call them, with the user header proxy.ts sets after authentication.
 */

export { CONTAINER, NS, POD, SECRETS };
export const REPO = "acme/incidents";
export const WEBHOOK_TOKEN = "webhook-test-token-0123456789";
/** The per-process secret scripts/peer-address.mjs would generate; the test console runs with it. */
export const PEER_SECRET = "peer-secret-for-tests-0123456789abcdef";

/** The headers the preload stamps on a request from this TCP peer (signed with PEER_SECRET unless told). */
export async function stampPeer(peer: string, proto: "http" | "https" = "http", secret = PEER_SECRET): Promise<Record<string, string>> {
  return { [PEER_HEADER]: peer, [PEER_PROTO_HEADER]: proto, [PEER_PROOF_HEADER]: await signPeer(secret, peer, proto) };
}

type Handler<P> = (req: NextRequest, segment: { params: Promise<P> }) => Promise<Response> | Response;

export interface CallOptions<P = Record<string, string>> {
  method?: string;
  /** Path and query (e.g. /api/analyses?x=1) or a full URL. */
  url: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  params?: P;
  /** The user proxy.ts would have set; false sends no user header. Default "tester". */
  user?: string | false;
}

export interface TestConsole {
  kube: FakeKube;
  gemini: FakeGemini;
  github: FakeGitHub;
  dir: string;
  /** The environment the console runs with (after overrides). */
  env: Record<string, string | undefined>;
  call<P extends Record<string, string>>(handler: Handler<P>, options: CallOptions<P>): Promise<Response>;
  /** call() and parse the JSON answer. */
  callJson<P extends Record<string, string>>(handler: Handler<P>, options: CallOptions<P>): Promise<{ status: number; body: unknown; headers: Headers }>;
  services(): Promise<Services>;
  /** Poll fn until it returns a value other than undefined/false; fails after a generous deadline. */
  waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, what?: string, timeoutMs?: number): Promise<T>;
  /** Stop the services (worker, store) and build them again from the same database: a restart. */
  restart(overrides?: Record<string, string | undefined>): Promise<Services>;
  stop(): Promise<void>;
}

const g = globalThis as typeof globalThis & { __triageServices?: Promise<Services> };

/** Stop the worker and close the store of the current services, and forget them. */
export async function resetServices(): Promise<void> {
  const current = g.__triageServices;
  g.__triageServices = undefined;
  if (!current) return;
  const s = await current.catch(() => undefined);
  if (!s) return;
  await s.worker.stop();
  await s.store.close();
}

/** The fake cluster's contents: the demo incidents, with the vLLM pod carrying planted secrets. */
export function seededCluster(): DemoClusterState {
  const state = buildDemoCluster();
  const b = oomBundle();
  state.pods = state.pods.filter((p) => !(p.namespace === NS && p.name === POD));
  state.events = state.events.filter((e) => !JSON.stringify(e).includes(POD));
  state.pods.push({
    namespace: NS,
    name: POD,
    pod: b.pod ?? {},
    logs: { [CONTAINER]: { current: b.logs, previous: b.previousLogs } },
  });
  state.events.push(
    ...b.events,
    // A warning event carrying a token, as a misconfigured init script might print it.
    {
      metadata: { name: `${POD}.3`, namespace: NS, creationTimestamp: "2026-11-20T09:31:00Z" },
      involvedObject: { kind: "Pod", namespace: NS, name: POD, fieldPath: "spec.containers{vllm}" },
      reason: "Unhealthy",
      message: `Liveness probe failed: Get "http://10.4.2.17:8000/health?token=${SECRETS.hfToken}": context deadline exceeded`,
      type: "Warning",
      count: 3,
      lastTimestamp: "2026-11-20T09:46:00Z",
    },
  );
  return state;
}

/** Make process.env exactly these variables (empty values are left out, as if unset). */
export function replaceEnv(next: Record<string, string | undefined>): void {
  for (const k of Object.keys(process.env)) if (next[k] === undefined || next[k] === "") Reflect.deleteProperty(process.env, k);
  for (const [k, v] of Object.entries(next)) if (v !== undefined && v !== "") process.env[k] = v;
}

/** The alert labels of the planted-secret vLLM pod. */
export function oomLabels(extra: Record<string, string> = {}): Record<string, string> {
  return { alertname: "ModelPodOOMKilled", severity: "critical", namespace: NS, pod: POD, container: CONTAINER, ...extra };
}

/**
 * Start fakes, point the environment at them and build nothing yet (services are built on first use,
 * as in the server). Overrides with an empty string unset a variable.
 */
export async function startTestConsole(overrides: Record<string, string | undefined> = {}): Promise<TestConsole> {
  await resetServices();
  const [kube, gemini, github] = await Promise.all([startFakeKube({ state: seededCluster() }), startFakeGemini(), startFakeGitHub({ repos: [REPO] })]);
  const dir = mkdtempSync(join(tmpdir(), "triage-console-"));
  const saved = { ...process.env };
  const env: Record<string, string | undefined> = {
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    DEMO: "",
    HOST: "127.0.0.1",
    ALERTMANAGER_URL: "",
    CONSOLE_URL: "http://127.0.0.1:3000",
    DATABASE_URL: `file:${join(dir, "t.sqlite")}`,
    KUBECONFIG: kube.writeKubeconfig(),
    CLUSTER_CONTEXTS: "",
    KUBE_TIMEOUT_MS: "5000",
    // Hermetic: the alerts' generatorURL names a Prometheus that does not exist here.
    PROMETHEUS_URL: "none",
    GEMINI_API_KEY: "test-key",
    GEMINI_BASE_URL: gemini.url,
    GEMINI_MODEL: "gemini-3.8-flash",
    GEMINI_TIMEOUT_MS: "30000",
    GITHUB_TOKEN: "test-token",
    GITHUB_REPOSITORY: REPO,
    GITHUB_API_URL: github.url,
    WEBHOOK_BEARER_TOKEN: WEBHOOK_TOKEN,
    WEBHOOK_BASIC_AUTH: "",
    ANALYSIS_COOLDOWN_SECONDS: "0",
    AUTO_ANALYZE: "",
    AUTO_ANALYZE_SEVERITIES: "",
    AUTO_ANALYZE_ALERTS: "",
    AUTO_FILE_SEVERITIES: "",
    AUTH_MODE: "none",
    AUTH_TOKEN: "",
    AUTH_TRUSTED_PROXIES: "",
    METRICS_BEARER_TOKEN: "",
    RATE_LIMIT_PER_MINUTE: "10000",
    TRIAGE_PEER_SECRET: PEER_SECRET,
    TRIAGE_LISTEN_ADDRESS: "",
    ...overrides,
  };
  const apply = (e: Record<string, string | undefined>) => {
    replaceEnv({ ...saved, ...e });
    resetConfigForTests();
  };
  apply(env);

  const call = async <P extends Record<string, string>>(handler: Handler<P>, o: CallOptions<P>): Promise<Response> => {
    const headers = new Headers(o.headers);
    if (o.user !== false) headers.set(USER_HEADER, encodeURIComponent(o.user ?? "tester"));
    let body: string | undefined;
    if (o.body !== undefined) {
      body = typeof o.body === "string" ? o.body : JSON.stringify(o.body);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
    const url = o.url.startsWith("http") ? o.url : `http://127.0.0.1:3000${o.url}`;
    const req = new NextRequest(url, { method: o.method ?? (body === undefined ? "GET" : "POST"), headers, body });
    // Handlers without dynamic segments take no params; the empty object stands in for them.
    const params: P | Record<string, never> = o.params ?? {};
    return handler(req, { params: Promise.resolve(params) as Promise<P> });
  };

  const tc: TestConsole = {
    kube,
    gemini,
    github,
    dir,
    env,
    call,
    async callJson(handler, o) {
      const res = await call(handler, o);
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: returned as text so the test can say what came back
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    services: () => getServices(),
    async waitFor(fn, what = "condition", timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      for (;;) {
        try {
          const v = await fn();
          if (v !== undefined && v !== false) return v;
        } catch (e) {
          last = e;
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async restart(more = {}) {
      await resetServices();
      Object.assign(env, more);
      apply(env);
      return getServices();
    },
    async stop() {
      await resetServices();
      replaceEnv(saved);
      resetConfigForTests();
      await Promise.all([kube.close(), gemini.close(), github.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return tc;
}
