import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "@/lib/store";
import { freePort } from "@/test/helpers/alertmanager";
import { WEBHOOK_TOKEN, oomLabels, startTestConsole, type TestConsole } from "@/test/helpers/console";

// SIGTERM on a real server process (test/server/shutdown-child.ts: the instrumentation hook behind an
// HTTP server that handles signals as Next's does) with a progress stream open and an analysis waiting
// on Gemini: the stream is told to reconnect, webhooks are refused, the job finishes, then it exits.

const ROOT = join(import.meta.dirname, "..", "..");

interface Child {
  proc: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnChild(script: string, env: Record<string, string | undefined>, readyLine: RegExp): Promise<Child> {
  const proc = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", join(ROOT, "test/server", script)], {
    cwd: ROOT,
    env: { ...process.env, NEXT_RUNTIME: "nodejs", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout?.on("data", (b: Buffer) => (out += b.toString()));
  proc.stderr?.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once("exit", (code, signal) => r({ code, signal })));
  const child: Child = { proc, output: () => out, exited };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not start within 60 s:\n${out}`)), 60_000);
    proc.stdout?.on("data", () => {
      if (readyLine.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`child exited with ${code} before it was ready:\n${out}`));
    });
  });
}

/** Resolve with the exit, or undefined when the child is still running after ms. */
function exitWithin(c: Child, ms: number) {
  return Promise.race([c.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]);
}

const alertPayload = (fingerprint: string) =>
  JSON.stringify({
    version: "4",
    status: "firing",
    receiver: "triage",
    alerts: [{ status: "firing", labels: oomLabels(), annotations: {}, startsAt: "2026-11-25T09:00:00Z", endsAt: "0001-01-01T00:00:00Z", fingerprint }],
  });
const post = (url: string, fingerprint: string) =>
  fetch(url, { method: "POST", body: alertPayload(fingerprint), headers: { "content-type": "application/json", authorization: `Bearer ${WEBHOOK_TOKEN}` } });

let tc: TestConsole;
const children: Child[] = [];
beforeAll(async () => {
  tc = await startTestConsole({ AUTO_FILE_SEVERITIES: "none", LOG_LEVEL: "info" });
});
afterAll(async () => {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
  await tc?.stop();
});

describe("graceful shutdown", () => {
  it("on SIGTERM ends progress streams, refuses webhooks, finishes the running job, then exits; a restart does not run it again", async () => {
    const [port, webhookPort] = await Promise.all([freePort(), freePort()]);
    const env = { PORT: String(port), WEBHOOK_LISTEN: `127.0.0.1:${webhookPort}` };
    const base = `http://127.0.0.1:${port}`;
    const listenerUrl = `http://127.0.0.1:${webhookPort}/api/webhooks/alertmanager`;
    // Gemini holds its answer long enough for the checks below to run during the drain.
    tc.gemini.enqueue({ kind: "report", delayMs: 8_000 });

    const first = await spawnChild("shutdown-child.ts", env, /^ready /m);
    children.push(first);
    expect((await post(listenerUrl, "5d0c1e5e5d0c1e51")).status).toBe(202);
    await tc.waitFor(() => tc.gemini.requests.length === 1, "the analysis to call Gemini");

    const store = await openStore(tc.env.DATABASE_URL ?? "");
    const [analysis] = (await store.listAnalyses({ fingerprint: "5d0c1e5e5d0c1e51" })).items;
    await store.close();
    expect(analysis?.status).toBe("running");

    const stream = await fetch(`${base}/api/analyses/${analysis?.id}/events`);
    expect(stream.status).toBe(200);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    const readAll = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return text;
        text += new TextDecoder().decode(value);
      }
    })();
    await tc.waitFor(() => text.includes("event: progress"), "the first progress event");

    const signalled = Date.now();
    first.proc.kill("SIGTERM");
    // The stream ends with a reconnect event, at once and not when the job is done.
    const ended = await Promise.race([readAll, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5_000))]);
    expect(ended, `progress stream still open 5 s after SIGTERM:\n${first.output()}`).toBeDefined();
    expect(ended).toMatch(/retry: 2000\nevent: reconnect\ndata: /);
    // While it drains, the listener refuses connections and the console's webhook route answers 503.
    await tc.waitFor(
      () => post(listenerUrl, "5d0c1e5e5d0c1e52").then(() => false, (e: unknown) => /ECONNREFUSED/.test(String((e as Error).cause ?? e))),
      "the webhook listener to refuse connections",
      5_000,
    );
    const refused = await post(`${base}/api/webhooks/alertmanager`, "5d0c1e5e5d0c1e53");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect((await fetch(`${base}/api/analyses/${analysis?.id}/events`)).status).toBe(503);
    expect(first.proc.exitCode, "the process exited before its job finished").toBeNull();

    const exit = await exitWithin(first, 60_000);
    expect(exit, `still running 60 s after SIGTERM:\n${first.output()}`).toBeDefined();
    // Next's own handler ran after the drain: it exits 143.
    expect(exit?.code).toBe(143);
    expect(Date.now() - signalled).toBeLessThan(60_000);
    // The process's own log lines, as Cloud Logging reads them: JSON with a severity, the drain told.
    const logs = first
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.filter((l) => typeof l.severity !== "string")).toEqual([]);
    expect(logs.map((l) => l.message)).toContain("drained: jobs finished or handed back, store closed");

    const after = await openStore(tc.env.DATABASE_URL ?? "");
    try {
      expect((await after.listAnalyses({})).items.filter((a) => a.status === "running" || a.status === "queued")).toEqual([]);
      expect((await after.getAnalysis(analysis?.id ?? ""))?.status).toBe("done");
      expect(await after.jobCounts()).toMatchObject({ queued: 0, running: 0 });
    } finally {
      await after.close();
    }

    // A restart finds nothing to redo: Gemini was asked once, the analysis is done once.
    const second = await spawnChild("shutdown-child.ts", env, /^ready /m);
    children.push(second);
    await new Promise((r) => setTimeout(r, 1_000));
    second.proc.kill("SIGTERM");
    expect(await exitWithin(second, 30_000), second.output()).toBeDefined();
    expect(tc.gemini.requests).toHaveLength(1);
    const end = await openStore(tc.env.DATABASE_URL ?? "");
    try {
      const items = (await end.listAnalyses({ fingerprint: "5d0c1e5e5d0c1e51" })).items;
      expect(items.map((a) => a.status)).toEqual(["done"]);
      const jobs = await end.listJobs({ kind: "analyze" });
      expect(jobs.map((j) => [j.status, j.attempts])).toEqual([["done", 1]]);
    } finally {
      await end.close();
    }
  }, 180_000);
});

/** Run the instrumentation hook in a child process until it exits (or 60 s pass). */
function runRegister(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", join(ROOT, "test/server/register-child.ts")], {
    cwd: ROOT,
    env: { ...process.env, NEXT_RUNTIME: "nodejs", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  proc.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  proc.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  return new Promise((resolve) =>
    proc.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe("start-up with a bad configuration", () => {
  it.each([
    ["AUTH_MODE=bogus", { AUTH_MODE: "bogus" }, /AUTH_MODE/],
    ["PORT=abc", { PORT: "abc" }, /PORT/],
    ["AUTH_MODE=none on 0.0.0.0", { AUTH_MODE: "none", HOST: "0.0.0.0" }, /HOST=0\.0\.0\.0.*AUTH_MODE/],
  ])("%s exits with status 2 and one line naming the setting", async (_name, env, names) => {
    const r = await runRegister(env);
    expect(r.stdout).not.toContain("registered");
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^Refusing to start\. Invalid configuration: /);
    expect(lines[0]).toMatch(names);
  }, 60_000);
});
