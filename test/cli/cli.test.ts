import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { main } from "@/cli/main";
import { resetConfigForTests } from "@/lib/config";
import { hypothesisSchema, signalSchema } from "@/lib/analysis/types";
import { hasFingerprintMarker } from "@/lib/github/issue";
import { incidentPath } from "@/test/fixtures/incidents";
import { SECRETS, oomBundle } from "@/test/analysis/gemini-fixture";
import { startFakeGemini, type FakeGemini } from "@/test/fakes/gemini-server";
import { startFakeGitHub, type FakeGitHub } from "@/test/fakes/github-server";
import { startFakeKube, type FakeKube } from "@/test/fakes/kube-server";
import { NS, POD, replaceEnv, seededCluster } from "@/test/helpers/console";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const REPO = "acme/incidents";

const diagnoseSchema = z.strictObject({
  hypotheses: z.array(z.object({ category: z.string(), title: z.string(), confidence: z.number(), evidence: z.array(z.object({ source: z.string(), text: z.string() })) })),
  signals: z.array(signalSchema),
});
const reduceSchema = z.strictObject({ text: z.string(), tokens: z.number().int(), keptLines: z.number().int(), totalLines: z.number().int() });
const reportJsonSchema = z.object({
  source: z.enum(["gemini", "offline"]),
  model: z.string().nullable(),
  offlineReason: z.string().optional(),
  hypotheses: z.array(hypothesisSchema),
  impact: z.string(),
  immediateActions: z.array(z.object({ step: z.string() })),
  prevention: z.array(z.string()),
  markdown: z.string(),
  issue: z.object({ action: z.enum(["created", "commented"]), number: z.number(), url: z.string() }).optional(),
});

let dir = "";
let kube: FakeKube;
let gemini: FakeGemini;
let github: FakeGitHub;
const saved = { ...process.env };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "triage-cli-"));
  [kube, gemini, github] = await Promise.all([startFakeKube({ state: seededCluster() }), startFakeGemini(), startFakeGitHub({ repos: [REPO] })]);
});
afterAll(async () => {
  replaceEnv(saved);
  resetConfigForTests();
  await Promise.all([kube?.close(), gemini?.close(), github?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** A clean environment plus these settings; the CLI reads it through lib/config. */
function useEnv(env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(saved).filter(([k]) => !/^(GEMINI_|GITHUB_|KUBECONFIG|CLUSTER_CONTEXTS|DEMO|LOG_BUDGET)/.test(k)));
  replaceEnv({ ...clean, ...env });
  resetConfigForTests();
}
beforeEach(() => useEnv());

async function run(argv: string[], stdin = "") {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), stdin: async () => stdin });
  return { code, out, err };
}

function writeJson(name: string, data: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof data === "string" ? data : JSON.stringify(data));
  return p;
}

describe("triage diagnose", () => {
  it("prints exactly {hypotheses, signals} with at most 3 hypotheses, the true cause first", async () => {
    for (const [fixture, top] of [
      ["oom-killed-embedder", "oom_killed"],
      ["image-not-found", "image_pull"],
      ["unschedulable-gpu", "unschedulable"],
    ] as const) {
      const r = await run(["diagnose", "--input", incidentPath(fixture), "--json"]);
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      const d = diagnoseSchema.parse(JSON.parse(r.out));
      expect(d.hypotheses.length).toBeGreaterThan(0);
      expect(d.hypotheses.length).toBeLessThanOrEqual(3);
      expect(d.hypotheses[0]?.category).toBe(top);
      expect(d.signals.some((s) => s.category === top)).toBe(true);
    }
  });

  it("prints a readable ranking without --json", async () => {
    const r = await run(["diagnose", "--input", incidentPath("oom-killed-embedder")]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^1\. \[oom_killed\] /);
  });
});

describe("triage reduce and redact", () => {
  it("reduce --json prints {text, tokens, keptLines, totalLines} within the budget", async () => {
    const r = await run(["reduce", "--input", incidentPath("oom-killed-embedder"), "--json", "--budget-tokens", "500"]);
    expect(r.code).toBe(0);
    const red = reduceSchema.parse(JSON.parse(r.out));
    expect(red.keptLines).toBeGreaterThan(0);
    expect(red.keptLines).toBeLessThanOrEqual(red.totalLines);
    expect(red.text.length).toBeGreaterThan(0);
    const bad = await run(["reduce", "--input", incidentPath("oom-killed-embedder"), "--budget-tokens", "lots"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--budget-tokens");
  });

  it("redact replaces planted secrets from stdin and keeps the lines", async () => {
    const input = [`Authorization: Bearer ${SECRETS.jwt}`, "plain line stays", `HF_TOKEN=${SECRETS.hfToken}`, `postgresql://feast:${SECRETS.dbPassword}@db:5432/f`, ""].join("\n");
    const r = await run(["redact"], input);
    expect(r.code).toBe(0);
    for (const s of Object.values(SECRETS)) expect(r.out).not.toContain(s);
    expect(r.out).toContain("[REDACTED:");
    expect(r.out.split("\n")).toHaveLength(input.split("\n").length);
    expect(r.out.split("\n")[1]).toBe("plain line stays");
  });
});

describe("triage analyze", () => {
  it("--offline --json prints the offline report with verified evidence and its markdown", async () => {
    const r = await run(["analyze", "--input", incidentPath("oom-killed-embedder"), "--offline", "--json"]);
    expect(r.code).toBe(0);
    const rep = reportJsonSchema.parse(JSON.parse(r.out));
    expect(rep.source).toBe("offline");
    expect(rep.hypotheses[0]?.category).toBe("oom_killed");
    expect(rep.hypotheses[0]?.evidence.length).toBeGreaterThan(0);
    expect(rep.hypotheses[0]?.evidence.every((e) => e.verified)).toBe(true);
    expect(rep.markdown).toContain("## ");
    expect(gemini.requests).toHaveLength(0);
  });

  it("uses Gemini at GEMINI_BASE_URL and sends it nothing secret", async () => {
    useEnv({ GEMINI_API_KEY: "test-key", GEMINI_BASE_URL: gemini.url });
    const input = writeJson("secret-bundle.json", oomBundle());
    const before = gemini.requests.length;
    const r = await run(["analyze", "--input", input, "--json"]);
    expect(r.code).toBe(0);
    const rep = reportJsonSchema.parse(JSON.parse(r.out));
    expect(rep.source).toBe("gemini");
    expect(rep.model).toBe("gemini-3.8-flash");
    const sent = gemini.requests.slice(before);
    expect(sent).toHaveLength(1);
    for (const s of Object.values(SECRETS)) {
      expect(JSON.stringify(sent[0]?.body)).not.toContain(s);
      expect(r.out).not.toContain(s);
    }
  });

  it("without a key says the analysis is offline and why", async () => {
    const r = await run(["analyze", "--input", incidentPath("oom-killed-embedder"), "--json"]);
    expect(r.code).toBe(0);
    const rep = reportJsonSchema.parse(JSON.parse(r.out));
    expect(rep.source).toBe("offline");
    expect(rep.offlineReason).toContain("GEMINI_API_KEY");
  });

  it("gathers from the cluster with --namespace and --pod (KUBECONFIG at the fake)", async () => {
    useEnv({ KUBECONFIG: kube.writeKubeconfig() });
    const before = kube.requests.length;
    const r = await run(["analyze", "--namespace", NS, "--pod", POD, "--alert", "ModelPodOOMKilled", "--offline", "--json"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const rep = reportJsonSchema.parse(JSON.parse(r.out));
    expect(rep.hypotheses[0]?.category).toBe("oom_killed");
    const paths = kube.requests.slice(before).map((q) => q.path);
    expect(paths).toContain(`/api/v1/namespaces/${NS}/pods/${POD}`);
    expect(paths).toContain(`/api/v1/namespaces/${NS}/pods/${POD}/log`);
    for (const s of Object.values(SECRETS)) expect(r.out).not.toContain(s);
  });

  it("--file-issue files in GitHub and prints the URL; a second run comments on the same issue", async () => {
    useEnv({ GITHUB_TOKEN: "test-token", GITHUB_REPOSITORY: REPO, GITHUB_API_URL: github.url });
    const input = writeJson("file-bundle.json", oomBundle());
    const first = await run(["analyze", "--input", input, "--offline", "--file-issue"]);
    expect(first.code).toBe(0);
    const issues = github.issues(REPO).filter((i) => hasFingerprintMarker(i.body ?? "", "3f9a1c7e52d4b860"));
    expect(issues).toHaveLength(1);
    const url = `https://github.com/${REPO}/issues/${issues[0]?.number ?? -1}`;
    expect(first.err).toBe(`Filed ${url}\n`);
    for (const s of Object.values(SECRETS)) expect(issues[0]?.body ?? "").not.toContain(s);

    const second = await run(["analyze", "--input", input, "--offline", "--file-issue", "--json"]);
    expect(second.code).toBe(0);
    expect(reportJsonSchema.parse(JSON.parse(second.out)).issue).toEqual({ action: "commented", number: issues[0]?.number, url });
    expect(second.err).toBe(`Commented on ${url}\n`);
    expect(github.issues(REPO).filter((i) => hasFingerprintMarker(i.body ?? "", "3f9a1c7e52d4b860"))).toHaveLength(1);
    expect(github.comments(REPO, issues[0]?.number ?? -1)).toHaveLength(1);
  });

  it("--file-issue without GitHub settings shows the issue it would file and exits 1", async () => {
    const r = await run(["analyze", "--input", incidentPath("oom-killed-embedder"), "--offline", "--file-issue"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("missing GITHUB_TOKEN, GITHUB_REPOSITORY");
    expect(r.err).toContain("# [PRODUCTION ALERT]");
  });
});

describe("bad input: exit 2 and one clear line, never a stack trace", () => {
  const cases: Array<[string, () => string[], RegExp]> = [
    ["missing file", () => ["diagnose", "--input", join(dir, "nope.json")], /no such file: .*nope\.json/],
    ["invalid JSON", () => ["diagnose", "--input", writeJson("broken.json", '{"alert": {')], /is not valid JSON/],
    ["wrong shape", () => ["reduce", "--input", writeJson("shape.json", { alert: { labels: { a: 1 } }, events: "none" })], /is not an evidence bundle: alert\.labels\.a/],
    ["unknown flag", () => ["diagnose", "--input", incidentPath("oom-killed-embedder"), "--verbose"], /--verbose/],
    ["missing --pod", () => ["analyze", "--namespace", NS, "--offline"], /--namespace and --pod are required/],
    ["bad pod name", () => ["analyze", "--namespace", NS, "--pod", "Not_A_Pod", "--offline"], /--pod: /],
    ["unknown command", () => ["diagnoze"], /unknown command "diagnoze"/],
    ["both outputs", () => ["analyze", "--input", incidentPath("oom-killed-embedder"), "--json", "--markdown"], /choose one of --json and --markdown/],
  ];
  for (const [name, argv, message] of cases) {
    it(name, async () => {
      const r = await run(argv());
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      expect(r.err).toMatch(message);
      expect(r.err.trimEnd().split("\n")).toHaveLength(1);
      expect(r.err).not.toMatch(/\n\s+at /);
    });
  }
});

describe("the installed bin", () => {
  it("runs `node cli/bin.mjs diagnose` as npx triage would", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["cli/bin.mjs", "diagnose", "--input", incidentPath("oom-killed-embedder"), "--json"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "production" },
      timeout: 60_000,
    });
    expect(diagnoseSchema.parse(JSON.parse(stdout)).hypotheses[0]?.category).toBe("oom_killed");
  });

  it("exits 2 from the real bin on bad input, with one line on stderr", async () => {
    const r = await promisify(execFile)(process.execPath, ["cli/bin.mjs", "diagnose", "--input", "/nonexistent/bundle.json"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "production" },
      timeout: 60_000,
    }).then(
      () => ({ code: 0, stderr: "" }),
      (e: unknown) => z.object({ code: z.number(), stderr: z.string() }).parse(e),
    );
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toEqual(["triage diagnose: no such file: /nonexistent/bundle.json"]);
  });
});
