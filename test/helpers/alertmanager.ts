import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

/**
 * Test harness around the real Debian `prometheus-alertmanager` binary on a free loopback port.
 * Shared by the alert client tests, the webhook tests, e2e and the benchmark.
 */

export const ALERTMANAGER_BIN = "/usr/bin/prometheus-alertmanager";

export interface WebhookReceiver {
  url: string;
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  sendResolved?: boolean;
}

export interface StartAlertmanagerOptions {
  /** Route every alert to this webhook (otherwise to a receiver with no integrations). */
  webhook?: WebhookReceiver;
  receiverName?: string;
  groupBy?: string[];
  repeatInterval?: string;
  /** Serve Alertmanager's own web UI from this folder (`--web.ui-path`); see bench/alertmanager-ui.ts. */
  uiPath?: string;
  /** Join an Alertmanager cluster (gossip on loopback) instead of running alone; see startAlertmanagerPair. */
  cluster?: { listenPort: number; peerPorts: number[] };
}

export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex?: boolean;
  isEqual?: boolean;
}

export interface RunningAlertmanager {
  url: string;
  port: number;
  storageDir: string;
  /** stdout+stderr so far, for failure messages. */
  output(): string;
  postAlerts(alerts: PostableAlert[]): Promise<void>;
  createSilence(matchers: SilenceMatcher[], opts?: { comment?: string; createdBy?: string; minutes?: number }): Promise<string>;
  /** Resolve once GET /api/v2/alerts reports `count` alerts (alerts are ingested asynchronously). */
  waitForAlerts(count: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (closed again before return, so a tiny race is possible). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("no port"))));
    });
  });
}

/** A port nothing listens on: bound, then released (connections there are refused). */
export async function deadPort(): Promise<number> {
  return freePort();
}

function yamlString(s: string): string {
  return JSON.stringify(s);
}

/** The Alertmanager configuration the harness runs with. */
export function alertmanagerConfig(opts: StartAlertmanagerOptions = {}): string {
  const receiver = opts.receiverName ?? (opts.webhook ? "triage-bot" : "blackhole");
  const lines = [
    "route:",
    `  receiver: ${yamlString(receiver)}`,
    `  group_by: [${(opts.groupBy ?? ["alertname"]).map(yamlString).join(", ")}]`,
    "  group_wait: 1s",
    "  group_interval: 2s",
    `  repeat_interval: ${opts.repeatInterval ?? "1h"}`,
    "receivers:",
    `  - name: ${yamlString(receiver)}`,
  ];
  const w = opts.webhook;
  if (w) {
    lines.push("    webhook_configs:", `      - url: ${yamlString(w.url)}`, `        send_resolved: ${w.sendResolved ?? true}`);
    if (w.bearerToken) {
      lines.push("        http_config:", "          authorization:", "            type: Bearer", `            credentials: ${yamlString(w.bearerToken)}`);
    } else if (w.basicAuth) {
      lines.push(
        "        http_config:",
        "          basic_auth:",
        `            username: ${yamlString(w.basicAuth.username)}`,
        `            password: ${yamlString(w.basicAuth.password)}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

async function waitReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`alertmanager exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`alertmanager at ${url} not ready after ${timeoutMs} ms:\n${output()}`);
}

/** Start the real Alertmanager on a free loopback port and wait until /-/ready answers. */
export async function startAlertmanager(opts: StartAlertmanagerOptions = {}): Promise<RunningAlertmanager> {
  const storageDir = await mkdtemp(join(tmpdir(), "am-test-"));
  const configFile = join(storageDir, "alertmanager.yml");
  await writeFile(configFile, alertmanagerConfig(opts));
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
      ALERTMANAGER_BIN,
      [
        `--config.file=${configFile}`,
        `--storage.path=${join(storageDir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        ...(opts.cluster
          ? [
              `--cluster.listen-address=127.0.0.1:${opts.cluster.listenPort}`,
              `--cluster.advertise-address=127.0.0.1:${opts.cluster.listenPort}`,
              ...opts.cluster.peerPorts.map((p) => `--cluster.peer=127.0.0.1:${p}`),
            ]
          : ["--cluster.listen-address="]),
        `--web.external-url=${url}`,
        "--log.level=warn",
        ...(opts.uiPath ? [`--web.ui-path=${opts.uiPath.replace(/\/?$/, "/")}`] : []),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    const append = (b: Buffer) => {
      out = (out + b.toString()).slice(-20_000);
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    try {
      await waitReady(url, child, () => out, 15_000);
    } catch (e) {
      lastError = e;
      child.kill("SIGKILL");
      continue;
    }
    return makeHandle(url, port, storageDir, child, () => out);
  }
  await rm(storageDir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

function makeHandle(url: string, port: number, storageDir: string, child: ChildProcess, output: () => string): RunningAlertmanager {
  async function api(path: string, init?: RequestInit): Promise<unknown> {
    const res = await fetch(`${url}/api/v2${path}`, {
      ...init,
      headers: { "content-type": "application/json", ...init?.headers },
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`alertmanager ${init?.method ?? "GET"} ${path} -> ${res.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }
  return {
    url,
    port,
    storageDir,
    output,
    async postAlerts(alerts) {
      // Large batches in chunks: Alertmanager accepts any size but a 10k-alert body is slow to decode at once.
      for (let i = 0; i < alerts.length; i += 1000) {
        await api("/alerts", { method: "POST", body: JSON.stringify(alerts.slice(i, i + 1000)) });
      }
    },
    async createSilence(matchers, o = {}) {
      const now = Date.now();
      const body = {
        matchers: matchers.map((m) => ({ name: m.name, value: m.value, isRegex: m.isRegex ?? false, isEqual: m.isEqual ?? true })),
        startsAt: new Date(now - 1000).toISOString(),
        endsAt: new Date(now + (o.minutes ?? 60) * 60_000).toISOString(),
        createdBy: o.createdBy ?? "test",
        comment: o.comment ?? "test silence",
      };
      const r = await api("/silences", { method: "POST", body: JSON.stringify(body) });
      const id = typeof r === "object" && r !== null && "silenceID" in r ? String(r.silenceID) : "";
      if (!id) throw new Error(`alertmanager returned no silenceID: ${JSON.stringify(r)}`);
      return id;
    },
    async waitForAlerts(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let seen = -1;
      while (Date.now() < deadline) {
        const r = await api("/alerts");
        seen = Array.isArray(r) ? r.length : -1;
        if (seen >= count) return;
        await new Promise((res) => setTimeout(res, 100));
      }
      throw new Error(`alertmanager at ${url} has ${seen} alerts after ${timeoutMs} ms, expected ${count}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(t);
      }
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

const clusterStatusSchema = z.object({ cluster: z.object({ peers: z.array(z.object({ name: z.string() })).nullish() }) });

/**
 * Two real Alertmanagers gossiping as an HA pair on loopback: a silence or alert posted to one reaches the
 * other. Resolves once each lists the other as a cluster peer.
 */
export async function startAlertmanagerPair(opts: Omit<StartAlertmanagerOptions, "cluster"> = {}): Promise<[RunningAlertmanager, RunningAlertmanager]> {
  const [c1, c2] = [await freePort(), await freePort()];
  const a = await startAlertmanager({ ...opts, cluster: { listenPort: c1, peerPorts: [c2] } });
  const b = await startAlertmanager({ ...opts, cluster: { listenPort: c2, peerPorts: [c1] } }).catch(async (e: unknown) => {
    await a.stop();
    throw e;
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const peers = await Promise.all(
      [a, b].map(async (am) => {
        const body: unknown = await (await fetch(`${am.url}/api/v2/status`)).json();
        return clusterStatusSchema.parse(body).cluster.peers?.length ?? 0;
      }),
    );
    if (peers.every((n) => n >= 2)) return [a, b];
    if (Date.now() > deadline) {
      await Promise.all([a.stop(), b.stop()]);
      throw new Error(`Alertmanager pair did not form a cluster within 20 s (peers seen: ${peers.join(", ")}):\n${a.output()}\n${b.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Wait until a silence has taken effect on the alerts matching `labelName=value` (state `suppressed`). */
export async function waitForSuppressed(am: RunningAlertmanager, labelName: string, value: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const filter = encodeURIComponent(`${labelName}="${value}"`);
  while (Date.now() < deadline) {
    const res = await fetch(`${am.url}/api/v2/alerts?filter=${filter}`);
    const body: unknown = await res.json();
    if (
      Array.isArray(body) &&
      body.length > 0 &&
      body.every((a: unknown) => typeof a === "object" && a !== null && JSON.stringify(a).includes('"state":"suppressed"'))
    ) {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`alerts with ${labelName}="${value}" were not suppressed within ${timeoutMs} ms`);
}
