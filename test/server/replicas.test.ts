import { webhookBody, wireAlert, type WireAlert } from "@/test/helpers/wire-alerts";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startConsole, type RunningConsole } from "@/e2e/harness";
import { fingerprintMarker } from "@/lib/github/issue";
import { startFakeGemini, type FakeGemini } from "@/test/fakes/gemini-server";
import { startFakeGitHub, type FakeGitHub } from "@/test/fakes/github-server";
import { startFakeKube, type FakeKube } from "@/test/fakes/kube-server";
import { ensureProductionBuild } from "@/test/fuzz/production-build";
import { freePort } from "@/test/helpers/alertmanager";
import { analysisRows } from "@/test/helpers/analysis-rows";
import { startPostgres, type RunningPostgres } from "@/test/helpers/postgres";

// Two real console processes (the production build, started as the image starts it) on one PostgreSQL
// database, as deploy/ha runs them, with the fake Kubernetes, Gemini and GitHub: filing races, a webhook
// storm delivered to both as an HA Alertmanager pair does, kill -9 of one replica mid-storm, and readiness
// while the database is down. The audit counts per alert fingerprint at the fake Gemini (calls), the fake
// GitHub (issues) and in the store (analyses); one console on SQLite runs the same storm as the control.
// REPLICAS_STORM sets the storm's size (default 500 alerts).

const ROOT = join(import.meta.dirname, "..", "..");
const TOKEN = "replicas-webhook-token-0123456789abcdef";
const REPO = "acme/incidents";
const STORM = Number(process.env.REPLICAS_STORM ?? 500);
const PER_PAYLOAD = 50;
const KILL_STORM = Math.max(40, Math.round(STORM / 3));
// Every wait is generous: the machine is shared, and speed belongs in bench/replicas.bench.ts.
const DRAIN_MS = 600_000;


interface Replica {
  app: RunningConsole;
  /** The dedicated webhook listener (WEBHOOK_LISTEN), where deploy/ points Alertmanager. */
  webhook: string;
}

interface Fakes {
  kube: FakeKube;
  /** One fake Gemini per replica (all answering alike), so a test sees which replica has a call in flight. */
  geminis: [FakeGemini, FakeGemini];
  github: FakeGitHub;
}

async function startFakes(): Promise<Fakes> {
  const [kube, g0, g1, github] = await Promise.all([startFakeKube(), startFakeGemini(), startFakeGemini(), startFakeGitHub({ repos: [REPO], latencyMs: 20 })]);
  return { kube, geminis: [g0, g1], github };
}

async function closeFakes(fakes: Fakes | undefined): Promise<void> {
  await Promise.all([fakes?.kube.close(), ...(fakes?.geminis ?? []).map((g) => g.close()), fakes?.github.close()]);
}

/** A console process as the image runs it (one process: kill -9 is a crash), with its own webhook listener. */
async function startReplica(fakes: Fakes, databaseUrl: string, index: 0 | 1 = 0): Promise<Replica> {
  const listen = await freePort();
  const app = await startConsole(
    {
      DATABASE_URL: databaseUrl,
      AUTH_MODE: "none",
      WEBHOOK_BEARER_TOKEN: TOKEN,
      WEBHOOK_LISTEN: `127.0.0.1:${listen}`,
      KUBECONFIG: fakes.kube.writeKubeconfig(),
      CLUSTER_CONTEXTS: "demo=fake",
      KUBE_TIMEOUT_MS: "10000",
      PROMETHEUS_URL: "none",
      GEMINI_API_KEY: "test-key",
      GEMINI_BASE_URL: fakes.geminis[index].url,
      GEMINI_MODEL: "gemini-3.8-flash",
      GEMINI_CONCURRENCY: "4",
      GITHUB_TOKEN: "test-token",
      GITHUB_REPOSITORY: REPO,
      GITHUB_API_URL: fakes.github.url,
      CONSOLE_URL: "http://127.0.0.1:3000",
      RATE_LIMIT_PER_MINUTE: "10000",
      ANALYSIS_COOLDOWN_SECONDS: "0",
    },
    { how: "image" },
  );
  return { app, webhook: `http://127.0.0.1:${listen}/api/webhooks/alertmanager` };
}

async function deliver(replica: Replica, body: string): Promise<number> {
  const res = await fetch(replica.webhook, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}`, "user-agent": "Alertmanager/0.25.0" },
    body,
    signal: AbortSignal.timeout(60_000),
  });
  await res.arrayBuffer();
  return res.status;
}

/**
 * A storm of distinct alerts in payloads of PER_PAYLOAD, each payload delivered to every replica at once
 * (an HA Alertmanager pair whose peers both send). Resolves with the alerts once every delivery got 202.
 */
async function storm(replicas: Replica[], tag: string, count: number): Promise<WireAlert[]> {
  const alerts = Array.from({ length: count }, (_, i) => wireAlert(`${tag}-${i}`, i));
  const payloads: string[] = [];
  for (let i = 0; i < count; i += PER_PAYLOAD) payloads.push(webhookBody(alerts.slice(i, i + PER_PAYLOAD), `${tag}-${i}`));
  const statuses = await Promise.all(payloads.flatMap((body) => replicas.map((r) => deliver(r, body))));
  expect(statuses.filter((s) => s !== 202), "every delivery accepted").toEqual([]);
  return alerts;
}

interface Audit {
  /** Per fingerprint sent: analyses in the store, Gemini calls, GitHub issues. */
  analyses: Map<string, number>;
  done: Map<string, number>;
  gemini: Map<string, number>;
  issues: Map<string, number>;
}

function countBy(keys: Iterable<string | undefined>): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

async function audit(fakes: Fakes, databaseUrl: string, alerts: WireAlert[]): Promise<Audit> {
  const rows = await analysisRows(databaseUrl);
  const byId = new Map(alerts.map((a) => [a.labels.alert_id ?? "", a.fingerprint]));
  const marker = new Map(alerts.map((a) => [fingerprintMarker(a.fingerprint), a.fingerprint]));
  return {
    analyses: countBy(rows.map((r) => r.fingerprint)),
    done: countBy(rows.filter((r) => r.status === "done").map((r) => r.fingerprint)),
    // The prompt carries the alert's labels, alert_id among them: one line per Gemini call names its alert.
    gemini: countBy(fakes.geminis.flatMap((g) => g.requests).map((r) => byId.get(/^alert_id=(\S+)$/m.exec(r.userText)?.[1] ?? ""))),
    issues: countBy(fakes.github.issues(REPO).flatMap((i) => (i.body ?? "").split("\n").map((line) => marker.get(line.trim())))),
  };
}

const isCritical = (a: WireAlert) => a.labels.severity === "critical";

/** Wait until every alert's analysis is done and every critical one is filed; returns the final audit. */
async function drained(fakes: Fakes, databaseUrl: string, alerts: WireAlert[], limitMs = DRAIN_MS): Promise<Audit> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const a = await audit(fakes, databaseUrl, alerts);
    const done = alerts.filter((x) => (a.done.get(x.fingerprint) ?? 0) > 0).length;
    const filed = alerts.filter((x) => isCritical(x) && (a.issues.get(x.fingerprint) ?? 0) > 0).length;
    if (done === alerts.length && filed === alerts.filter(isCritical).length) return a;
    if (Date.now() > deadline) throw new Error(`after ${limitMs / 1000} s: ${done}/${alerts.length} analyses done, ${filed}/${alerts.filter(isCritical).length} critical alerts filed`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Nothing lost, nothing twice: one analysis, one Gemini call and (critical alerts) one issue per fingerprint. */
function expectExactlyOnce(a: Audit, alerts: WireAlert[], options: { geminiAtLeastOnce?: boolean } = {}): void {
  const wrong = (m: Map<string, number>, want: (a: WireAlert) => number, atLeast = false) =>
    alerts.filter((x) => (atLeast ? (m.get(x.fingerprint) ?? 0) < want(x) : (m.get(x.fingerprint) ?? 0) !== want(x))).map((x) => `${x.labels.alert_id}: ${m.get(x.fingerprint) ?? 0}`);
  expect(wrong(a.analyses, () => 1), "analyses per fingerprint").toEqual([]);
  expect(wrong(a.done, () => 1), "done analyses per fingerprint").toEqual([]);
  expect(wrong(a.gemini, () => 1, options.geminiAtLeastOnce), "Gemini calls per fingerprint").toEqual([]);
  expect(wrong(a.issues, (x) => (isCritical(x) ? 1 : 0)), "GitHub issues per fingerprint").toEqual([]);
}

/** The SQL of README "Two replicas on PostgreSQL", one statement at a time (CREATE DATABASE refuses a transaction). */
function readmeSql(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Two replicas on PostgreSQL"));
  const block = /```sql\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error("README's Two replicas on PostgreSQL section has no sql block");
  return block
    .split(/;\s*\n/)
    .map((s) => s.trim())
    .filter(Boolean);
}

const PASSWORD = "replicas-test-password";

describe("one console on SQLite, the storm delivered twice (the control for the audit below)", () => {
  const dir = mkdtempSync(join(tmpdir(), "replicas-sqlite-"));
  const databaseUrl = `file:${join(dir, "triage.sqlite")}`;
  let fakes: Fakes | undefined;
  let replica: Replica | undefined;
  beforeAll(async () => {
    await ensureProductionBuild();
    fakes = await startFakes();
    replica = await startReplica(fakes, databaseUrl);
  }, 600_000);
  afterAll(async () => {
    await replica?.app.stop();
    await closeFakes(fakes);
    rmSync(dir, { recursive: true, force: true });
  });

  it("analyses every alert once and files every critical one once, and the audit counts what happened", async () => {
    if (!fakes || !replica) throw new Error("not started");
    const alerts = await storm([replica, replica], "sqlite", STORM);
    const a = await drained(fakes, databaseUrl, alerts);
    expectExactlyOnce(a, alerts);
    // The audit sees real work: STORM analyses, STORM Gemini calls, one issue per critical alert.
    expect([...a.gemini.values()].reduce((x, y) => x + y, 0)).toBe(STORM);
    expect(a.issues.size).toBe(alerts.filter(isCritical).length);
    expect(a.issues.size).toBeGreaterThan(0);
  }, DRAIN_MS + 120_000);
});

describe("two consoles on two SQLite files (two pods with a volume each): what the audit catches", () => {
  const dirs = [mkdtempSync(join(tmpdir(), "replicas-sqlite-a-")), mkdtempSync(join(tmpdir(), "replicas-sqlite-b-"))];
  const urls = dirs.map((d) => `file:${join(d, "triage.sqlite")}`);
  let fakes: Fakes | undefined;
  const replicas: Replica[] = [];
  beforeAll(async () => {
    await ensureProductionBuild();
    fakes = await startFakes();
    const f = fakes;
    replicas.push(...(await Promise.all([startReplica(f, urls[0] ?? "", 0), startReplica(f, urls[1] ?? "", 1)])));
  }, 600_000);
  afterAll(async () => {
    for (const r of replicas) await r.app.stop();
    await closeFakes(fakes);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("analyses every alert twice, and the audit says so", async () => {
    const f = fakes;
    if (!f) throw new Error("not started");
    const count = 40;
    const alerts = await storm(replicas, "split", count);
    const [first, second] = await Promise.all(urls.map((u) => drained(f, u, alerts)));
    // Each store alone looks right; together they made every Gemini call twice.
    expect(first?.done.size).toBe(count);
    expect(second?.done.size).toBe(count);
    const audited = await audit(f, urls[0] ?? "", alerts);
    expect(alerts.filter((x) => audited.gemini.get(x.fingerprint) !== 2).map((x) => x.labels.alert_id)).toEqual([]);
  }, DRAIN_MS + 120_000);
});

describe("two consoles on one PostgreSQL database (deploy/ha)", () => {
  let postgres: RunningPostgres | undefined;
  let fakes: Fakes | undefined;
  let databaseUrl = "";
  const replicas: Replica[] = [];
  const [a, b] = [() => replicas[0] ?? fail(), () => replicas[1] ?? fail()];
  function fail(): never {
    throw new Error("the replicas did not start");
  }

  beforeAll(async () => {
    await ensureProductionBuild();
    postgres = await startPostgres();
    // The database and role exactly as the README creates them: the consoles run without superuser rights.
    const admin = new pg.Client({ connectionString: postgres.url() });
    await admin.connect();
    try {
      for (const statement of readmeSql()) await admin.query(statement.replaceAll("REPLACE_WITH_PASSWORD", PASSWORD));
    } finally {
      await admin.end();
    }
    databaseUrl = `postgres://triage_console:${PASSWORD}@127.0.0.1:${postgres.port}/triage`;
    fakes = await startFakes();
    const f = fakes;
    // Started together, as a Deployment's pods are: the migrations run once, under the lock.
    replicas.push(...(await Promise.all([startReplica(f, databaseUrl, 0), startReplica(f, databaseUrl, 1)])));
  }, 600_000);
  afterAll(async () => {
    for (const r of replicas) await r.app.stop();
    await closeFakes(fakes);
    await postgres?.stop();
  });

  it("files one issue when 50 requests to file the same analysis are split across both replicas", async () => {
    if (!fakes) fail();
    // A warning (not filed automatically), analysed once, then filed by everyone at once.
    const alert = wireAlert("file-race", 3, "warning");
    const creations = () => fakes?.github.requests.filter((r) => r.method === "POST" && r.path === `/repos/${REPO}/issues`).length ?? 0;
    const createdBefore = creations();
    expect(await deliver(a(), webhookBody([alert], "file-race"))).toBe(202);
    const id = await (async () => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        const rows = await client.query("select id, status from analyses where fingerprint = $1", [alert.fingerprint]).finally(() => client.end());
        const row = z.object({ id: z.string(), status: z.string() }).safeParse(rows.rows[0]).data;
        if (row?.status === "done") return row.id;
        if (Date.now() > deadline) throw new Error(`analysis of ${alert.fingerprint} not done: ${JSON.stringify(rows.rows)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const answers = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const base = (i % 2 ? b() : a()).app.url;
        // The browser on that replica's page: a same-origin POST, as the Issue button sends it.
        const res = await fetch(`${base}/api/analyses/${encodeURIComponent(id)}/issue`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: base, "sec-fetch-site": "same-origin" },
          body: "{}",
          signal: AbortSignal.timeout(120_000),
        });
        const text = await res.text();
        return { status: res.status, body: z.object({ action: z.enum(["created", "commented"]), number: z.number() }).safeParse(JSON.parse(text)).data, text };
      }),
    );
    expect(answers.filter((x) => x.status !== 201).map((x) => `${x.status} ${x.text.slice(0, 200)}`)).toEqual([]);
    const issues = fakes.github.issues(REPO).filter((i) => (i.body ?? "").split("\n").some((l) => l.trim() === fingerprintMarker(alert.fingerprint)));
    expect(issues).toHaveLength(1);
    // One creation at GitHub; every answer names that issue (a repeat of a filed analysis answers with its issue).
    expect(creations() - createdBefore).toBe(1);
    expect(new Set(answers.map((x) => x.body?.number))).toEqual(new Set([issues[0]?.number]));
  }, 300_000);

  it("analyses every firing episode of a storm delivered to both replicas exactly once, and files each critical one once", async () => {
    if (!fakes) fail();
    const alerts = await storm(replicas, "pg", STORM);
    const audited = await drained(fakes, databaseUrl, alerts);
    expectExactlyOnce(audited, alerts);
  }, DRAIN_MS + 120_000);

  it("finishes every job after kill -9 of one replica in the middle of a storm, once the dead one's leases expire", async () => {
    if (!fakes) fail();
    const f = fakes;
    // Replica b's model never answers: it dies with its analyses in flight, holding their jobs.
    const [atA, atB] = f.geminis;
    atB.enqueue(...Array.from({ length: 8 }, () => ({ kind: "hang" as const })));
    const before = atB.requests.length;
    // Replica a is frozen while the storm arrives at b, so b surely takes jobs (a busy replica otherwise wins
    // the global Gemini slots again and again, and b may finish the storm's end holding nothing); a runs again
    // before b dies and must finish everything, b's jobs included.
    a().app.pause(true);
    let alerts: WireAlert[];
    try {
      alerts = await storm([b()], "kill", KILL_STORM);
      const deadline = Date.now() + 120_000;
      while (atB.requests.length === before) {
        if (Date.now() > deadline) throw new Error("replica b took no job of the storm within 120 s while a was frozen");
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      a().app.pause(false);
    }
    await b().app.kill("SIGKILL");
    const byId = new Map(alerts.map((x) => [x.labels.alert_id ?? "", x]));
    const cut = atB.requests.slice(before).flatMap((r) => byId.get(/^alert_id=(\S+)$/m.exec(r.userText)?.[1] ?? "") ?? []);
    expect(cut.length, "analyses in flight on b when it died").toBeGreaterThan(0);
    const fps = new Set(alerts.map((x) => x.fingerprint));
    const doneAtKill = (await analysisRows(databaseUrl)).filter((r) => fps.has(r.fingerprint) && r.status === "done").length;
    expect(doneAtKill).toBeLessThan(KILL_STORM);
    const audited = await drained(f, databaseUrl, alerts);
    // A call cut off by the kill is made again by the survivor; the store still has one analysis per alert.
    expectExactlyOnce(audited, alerts, { geminiAtLeastOnce: true });
    // What b held was finished by a, after b's leases expired: a called the model for each of them.
    const redone = new Set(atA.requests.map((r) => /^alert_id=(\S+)$/m.exec(r.userText)?.[1]));
    expect(cut.filter((x) => !redone.has(x.labels.alert_id)).map((x) => x.labels.alert_id)).toEqual([]);
    console.log(`kill -9 of b with ${cut.length} analyses in flight and ${doneAtKill}/${KILL_STORM} done; a finished them all`);
  }, DRAIN_MS + 420_000);

  it("answers 503 on /api/ready while PostgreSQL is down, and ready again once it is back", async () => {
    if (!postgres || !fakes) fail();
    const pgCluster = postgres;
    const ready = async () => {
      try {
        const res = await fetch(`${a().app.url}/api/ready`, { signal: AbortSignal.timeout(10_000) });
        return { status: res.status, body: await res.text() };
      } catch (e) {
        return { status: 0, body: String(e) };
      }
    };
    const until = async (want: number, limitMs: number) => {
      const deadline = Date.now() + limitMs;
      let last = await ready();
      while (last.status !== want && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        last = await ready();
      }
      return last;
    };
    expect((await until(200, 30_000)).status).toBe(200);
    await pgCluster.pause();
    try {
      const down = await until(503, 60_000);
      expect(down.status, down.body).toBe(503);
      expect(z.object({ status: z.literal("not ready"), reason: z.string().min(1) }).safeParse(JSON.parse(down.body)).success, down.body).toBe(true);
    } finally {
      await pgCluster.resume();
    }
    expect((await until(200, 120_000)).status).toBe(200);
    // And it works again, not only answers: a new alert is taken and analysed.
    const alert = wireAlert("after-restart", 4, "warning");
    expect(await deliver(a(), webhookBody([alert], "after-restart"))).toBe(202);
    const audited = await drained(fakes, databaseUrl, [alert], 120_000);
    expect(audited.done.get(alert.fingerprint)).toBe(1);
  }, 420_000);
});
