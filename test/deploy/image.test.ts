import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { analysisSchema, analysisSummarySchema } from "@/lib/store/models";
import { freePort, startAlertmanager, type RunningAlertmanager } from "@/test/helpers/alertmanager";
import { startFakeKube, type FakeKube } from "@/test/fakes/kube-server";
import { startFakeGemini, type FakeGemini } from "@/test/fakes/gemini-server";
import { CONTAINER, NS, POD } from "@/test/analysis/gemini-fixture";
import { ensureProductionBuild } from "@/test/fuzz/production-build";
import { envOf, readDockerfile } from "./dockerfile";
import { ROOT } from "./helpers";
import { consoleContainer, layOutImage, type ImageLayout } from "./image-layout";

/**
 * Issue 13 item 2: the image as tested. No Docker engine runs here, so image-layout.ts lays the runtime
 * stage out by hand from the Dockerfile (its COPY lines over the production build, the build stage's
 * pruning steps, its ENV, USER and CMD) with the Deployment's settings and writable mounts, over an
 * application directory nobody can write. The console then runs as the image's non-root user on the
 * project's Node 24 and must answer health, keep its auth gate, take a webhook on the dedicated
 * listener and analyse the alert against fake Kubernetes and fake Gemini, writing only where the
 * Deployment mounts a volume.
 */

const WEBHOOK_TOKEN = "image-test-webhook-token-0123456789abcdef";
const PROXY_USER = "sre@example.com";
const FINGERPRINT = "a1b2c3d4e5f60718";

const docker = readDockerfile();
const imageEnv = envOf(docker.runtime);
const proxyHeader = consoleContainer().env.find((e) => e.name === "AUTH_PROXY_HEADER")?.value ?? "";

let layout: ImageLayout;
let child: ChildProcess;
let kube: FakeKube;
let gemini: FakeGemini;
let am: RunningAlertmanager;
let url = "";
let webhookUrl = "";
let output = "";
const timings: Record<string, number> = {};

async function waitForHealth(deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the image's CMD exited with ${child.exitCode ?? child.signalCode} before answering:\n${output}`);
    try {
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no 200 from ${url}/api/health within ${deadlineMs / 1000} s:\n${output}`);
}

beforeAll(async () => {
  let t = Date.now();
  await ensureProductionBuild();
  timings["build check"] = Date.now() - t;
  // The project's Node (scripts/node: the machine's when >= 24, else the pinned one in .node/).
  const node = execFileSync(join(ROOT, "scripts", "node"), ["-p", "process.execPath"], { encoding: "utf8" }).trim();
  [kube, gemini, am] = await Promise.all([startFakeKube(), startFakeGemini(), startAlertmanager()]);
  const [port, webhookPort] = [await freePort(), await freePort()];
  url = `http://127.0.0.1:${port}`;
  webhookUrl = `http://127.0.0.1:${webhookPort}/api/webhooks/alertmanager`;

  t = Date.now();
  layout = layOutImage({
    node,
    secrets: { "webhook-bearer-token": WEBHOOK_TOKEN, "gemini-api-key": "test-key" },
    // A loopback test: the console and its webhook listener on 127.0.0.1 (the test is the trusted
    // proxy there), Alertmanager, the cluster and Gemini are the fakes.
    overrides: {
      HOST: "127.0.0.1",
      HOSTNAME: "127.0.0.1",
      PORT: String(port),
      WEBHOOK_LISTEN: `127.0.0.1:${webhookPort}`,
      CONSOLE_URL: url,
      ALERTMANAGER_URL: am.url,
      GEMINI_BASE_URL: gemini.url,
      GEMINI_MODEL: "gemini-3.8-flash",
    },
  });
  // The cluster's credentials as a Secret volume gives them: a read-only file the user can read.
  const secretDir = join(layout.root, "var", "run", "secrets", "triage");
  mkdirSync(secretDir, { recursive: true });
  writeFileSync(join(secretDir, "kubeconfig"), readFileSync(kube.writeKubeconfig()));
  chmodSync(join(secretDir, "kubeconfig"), 0o444);
  layout.env.KUBECONFIG = join(secretDir, "kubeconfig");
  timings.layout = Date.now() - t;

  t = Date.now();
  const [cmd = "", ...args] = layout.cmd;
  child = spawn(cmd, args, { cwd: layout.app, env: layout.env, uid: layout.uid, gid: layout.gid, stdio: ["ignore", "pipe", "pipe"] });
  const append = (b: Buffer) => (output = (output + b.toString()).slice(-200_000));
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  await waitForHealth(90_000);
  timings["start to healthy"] = Date.now() - t;
}, 600_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(t);
  }
  await Promise.all([kube?.close(), gemini?.close(), am?.stop()]);
  layout?.remove();
  const took = Object.entries(timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`);
  if (took.length) console.log(`image test: ${took.join(", ")}`);
});

const asProxy = { [proxyHeader]: PROXY_USER };

describe("the image as laid out by the Dockerfile, run as the Deployment runs it", () => {
  it("runs its CMD as the image's non-root user on the image's Node major, over a read-only /app", () => {
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    expect(uid).toBe(layout.uid);
    expect(uid).not.toBe(0);
    const major = /^node:(\d+)/.exec(/^ARG NODE_IMAGE=(\S+)$/m.exec(docker.text)?.[1] ?? "")?.[1];
    const version = execFileSync(layout.cmd[0] ?? "", ["--version"], { encoding: "utf8" }).trim();
    expect(version.split(".")[0]).toBe(`v${major}`);
    // Nothing under /app is writable, the mounts aside.
    const probe = spawnAsUser(["-e", `require("fs").writeFileSync(${JSON.stringify(join(layout.app, "probe"))}, "x")`]);
    expect(probe.code).not.toBe(0);
    expect(probe.output).toMatch(/EACCES/);
  });

  it("holds better-sqlite3 as its JS and the one prebuilt binary for this platform, no sources", () => {
    const dir = join(layout.app, "node_modules", "better-sqlite3");
    const files = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
    expect(files.filter((f) => f.endsWith(".node"))).toEqual([`prebuilds/linux-${process.arch}.node`]);
    expect(files).toContain("lib/index.js");
    expect(files.filter((f) => /^(deps|src|build)\//.test(f) || /\.(c|cc|cpp|h|hpp|gyp|gypi)$/.test(f))).toEqual([]);
  });

  it("answers the liveness and readiness probes and its own HEALTHCHECK", async () => {
    for (const path of ["/api/health", "/api/ready"]) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
    }
    // HEALTHCHECK asks 127.0.0.1 on the image's PORT; here the console listens on a free port.
    const hc = (layout.healthcheck ?? []).map((a) => a.replace(`:${imageEnv.get("PORT")}/`, `${url.slice(url.lastIndexOf(":"))}/`));
    expect(hc.length).toBeGreaterThan(0);
    const r = spawnAsUser(hc.slice(1));
    expect(r.code, r.output).toBe(0);
  });

  it("keeps the auth gate: 401 without the proxy's identity, 200 with it from the trusted proxy", async () => {
    expect(proxyHeader).not.toBe("");
    const denied = await fetch(`${url}/api/analyses`);
    expect(denied.status).toBe(401);
    expect((await fetch(url)).status).toBe(401);
    const ok = await fetch(`${url}/api/analyses`, { headers: asProxy });
    expect(ok.status, await ok.clone().text()).toBe(200);
  });

  it("serves the pages with their static assets and public files", async () => {
    const res = await fetch(url, { headers: asProxy });
    const html = await res.text();
    expect(res.status, html.slice(0, 500)).toBe(200);
    const assets = [...new Set([...html.matchAll(/(?:src|href)="(\/_next\/static\/[^"]+)"/g)].map((m) => m[1] ?? ""))];
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) expect((await fetch(`${url}${asset}`)).status, asset).toBe(200);
    // public/ holds whatever the project puts there; each file must be served.
    const pub = join(layout.app, "public");
    for (const f of existsSync(pub) ? readdirSync(pub, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()) : []) {
      const rel = join(f.parentPath, f.name).slice(pub.length);
      expect((await fetch(`${url}${rel}`, { headers: asProxy })).status, rel).toBe(200);
    }
  });

  it("takes an Alertmanager webhook on WEBHOOK_LISTEN with the bearer token, and analyses the alert to done", async () => {
    const alert = {
      status: "firing",
      labels: { alertname: "ModelPodOOMKilled", severity: "critical", namespace: NS, pod: POD, container: CONTAINER },
      annotations: { summary: `Model pod ${NS}/${POD} was OOMKilled` },
      startsAt: new Date(Date.now() - 5 * 60_000).toISOString(),
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus:9090/graph?g0.expr=up&g0.tab=1",
      fingerprint: FINGERPRINT,
    };
    // Alertmanager's webhook body, version 4 (wire-facts §1.1).
    const body = JSON.stringify({
      receiver: "triage-console",
      status: "firing",
      alerts: [alert],
      groupLabels: { alertname: "ModelPodOOMKilled" },
      commonLabels: alert.labels,
      commonAnnotations: alert.annotations,
      externalURL: am.url,
      version: "4",
      groupKey: '{}:{alertname="ModelPodOOMKilled"}',
      truncatedAlerts: 0,
    });
    const post = (headers: Record<string, string>) => fetch(webhookUrl, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    expect((await post({})).status).toBe(401);
    const res = await post({ authorization: `Bearer ${WEBHOOK_TOKEN}` });
    const text = await res.text();
    expect(res.status, text).toBe(202);
    expect(z.object({ status: z.literal("accepted"), queued: z.number() }).parse(JSON.parse(text)).queued).toBe(1);

    const t = Date.now();
    const list = z.object({ analyses: z.array(analysisSummarySchema) });
    let id = "";
    let status = "";
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const page = list.parse(await (await fetch(`${url}/api/analyses?limit=50`, { headers: asProxy })).json());
      const a = page.analyses.find((x) => x.fingerprint === FINGERPRINT);
      if (a) ({ id, status } = a);
      if (status === "done" || status === "failed") break;
      await new Promise((r) => setTimeout(r, 500));
    }
    timings.analysis = Date.now() - t;
    expect(id, `no analysis for the webhook's alert:\n${output.slice(-5000)}`).not.toBe("");
    const full = analysisSchema.parse(await (await fetch(`${url}/api/analyses/${encodeURIComponent(id)}`, { headers: asProxy })).json());
    expect(full.status, `${full.error ?? ""}\n${output.slice(-5000)}`).toBe("done");
    expect(full.source).toBe("gemini");
    expect(gemini.requests.length).toBeGreaterThan(0);
    expect(kube.requests.some((r) => r.path.includes(`/namespaces/${NS}/pods/${POD}`))).toBe(true);
  });

  it("wrote only to the Deployment's mounts: the database on the data volume, nothing refused", () => {
    const data = layout.mounts.get("/data");
    expect(data, "the Deployment mounts /data").toBeDefined();
    expect(readdirSync(data ?? "")).toContain("triage.sqlite");
    // A write into /app (or anywhere not mounted) fails with EACCES here and EROFS in the cluster.
    expect(output).not.toMatch(/EACCES|EROFS|EPERM|permission denied|read-only file system/i);
  });
});

/** Run the image's node with these arguments as the image's user, in /app, with the image's environment. */
function spawnAsUser(args: string[]): { code: number | null; output: string } {
  try {
    const out = execFileSync(layout.cmd[0] ?? "", args, { cwd: layout.app, env: layout.env, uid: layout.uid, gid: layout.gid, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
    return { code: 0, output: out };
  } catch (e) {
    const err = e as { status?: number | null; stdout?: string; stderr?: string };
    return { code: err.status ?? null, output: `${err.stdout ?? ""}${err.stderr ?? ""}` };
  }
}
