import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { main } from "@/cli/main";
import { redactBundle } from "@/lib/analysis/redact";
import { evidenceBundleSchema } from "@/lib/cluster/bundle";
import { resetConfigForTests } from "@/lib/config";
import { openStore, type Store } from "@/lib/store";
import { SECRETS, oomBundle } from "@/test/analysis/gemini-fixture";
import { replaceEnv } from "@/test/helpers/console";
import { sampleReport } from "@/test/store/helpers";

const saved = { ...process.env };
let dir = "";
let store: Store;
const ids: { confirmed: string; none: string; noBundle: string } = { confirmed: "", none: "", noBundle: "" };

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), stdin: async () => "" } };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "triage-feedback-cli-"));
  const url = `file:${join(dir, "triage.sqlite")}`;
  replaceEnv({ ...saved, DATABASE_URL: url, LOG_LEVEL: "silent" });
  resetConfigForTests();
  store = await openStore(url);
  const bundle = redactBundle(oomBundle()).bundle;
  const report = sampleReport("Container OOMKilled at its memory limit", { source: "offline" });
  report.hypotheses = report.hypotheses.map((h, i) => (i === 0 ? { ...h, category: "oom_killed" as const } : h));
  const make = async (withBundle: boolean) => {
    const a = await store.createAnalysis({ fingerprint: `fp-${Math.random()}`, trigger: "manual", alertname: "ModelPodOOMKilled" });
    return store.updateAnalysis(a.id, { status: "done", report, ...(withBundle ? { bundle } : {}) });
  };
  const confirmed = await make(true);
  await store.addFeedback({ analysisId: confirmed.id, actor: "alice@example.com", rank: 1, hypothesisTitle: report.hypotheses[0]?.title, category: "oom_killed", fix: "raised the limit to 40Gi", commentStatus: "no_issue" });
  const none = await make(true);
  await store.addFeedback({ analysisId: none.id, actor: "bob@example.com", rank: null, actualCause: "a noisy neighbour", category: "node_pressure", fix: "moved the pod", commentStatus: "no_issue" });
  const noBundle = await make(false);
  await store.addFeedback({ analysisId: noBundle.id, actor: "bob@example.com", rank: 2, fix: "x", commentStatus: "no_issue" });
  await make(true); // no feedback: not a case
  Object.assign(ids, { confirmed: confirmed.id, none: none.id, noBundle: noBundle.id });
});
afterAll(async () => {
  await store?.close();
  replaceEnv(saved);
  resetConfigForTests();
  rmSync(dir, { recursive: true, force: true });
});

describe("triage stats", () => {
  it("prints top-1 and top-3 accuracy per category and per source", async () => {
    const r = io();
    expect(await main(["stats", "--since", "30d"], r.io)).toBe(0);
    const text = r.out.join("");
    expect(text).toMatch(/Accuracy over the last 30d: 3 analyses with feedback/);
    expect(text).toMatch(/all\s+3\s+33% \(1\)\s+67% \(2\)\s+1\s+small sample/);
    expect(text).toMatch(/offline\s+3/);
    const j = io();
    expect(await main(["stats", "--json", "--since", "all"], j.io)).toBe(0);
    const parsed = z.object({ period: z.string(), accuracy: z.object({ overall: z.object({ cases: z.number(), top1: z.number(), top3: z.number() }) }) }).parse(JSON.parse(j.out.join("")));
    expect(parsed.accuracy.overall).toMatchObject({ cases: 3, top1: 1, top3: 2 });
  });

  it("says how to write a period it cannot read (exit 2)", async () => {
    const r = io();
    expect(await main(["stats", "--since", "a while"], r.io)).toBe(2);
    expect(r.err.join("")).toMatch(/not a period: use 30d, 12h, 2w, all/);
  });
});

describe("triage feedback export", () => {
  it("writes each case with feedback as its stored (redacted) bundle and its truth, which the analyzer can re-run", async () => {
    const out = join(dir, "cases");
    const r = io();
    expect(await main(["feedback", "export", "--out", out], r.io)).toBe(0);
    expect(r.out.join("")).toMatch(/Exported 2 cases with feedback to .*cases \(1 without a stored bundle skipped\)/);
    const index = z.array(z.object({ analysisId: z.string(), rank: z.number().nullable() })).parse(JSON.parse(readFileSync(join(out, "cases.json"), "utf8")));
    expect(index.map((c) => c.analysisId).sort()).toEqual([ids.confirmed, ids.none].sort());
    expect(existsSync(join(out, ids.noBundle))).toBe(false);

    const bundleText = readFileSync(join(out, ids.confirmed, "bundle.json"), "utf8");
    for (const s of Object.values(SECRETS)) expect(bundleText).not.toContain(s);
    expect(evidenceBundleSchema.safeParse(JSON.parse(bundleText)).success).toBe(true);
    const truth = JSON.parse(readFileSync(join(out, ids.confirmed, "truth.json"), "utf8"));
    expect(truth).toMatchObject({
      analysisId: ids.confirmed,
      alertname: "ModelPodOOMKilled",
      source: "offline",
      truth: { rank: 1, hypothesis: { title: "Container OOMKilled at its memory limit", category: "oom_killed" }, category: "oom_killed", fix: "raised the limit to 40Gi" },
      reportHypotheses: [{ rank: 1, category: "oom_killed" }, { rank: 2, title: "Second" }],
    });
    expect(JSON.stringify(truth)).not.toContain("alice@example.com");
    const noneTruth = JSON.parse(readFileSync(join(out, ids.none, "truth.json"), "utf8"));
    expect(noneTruth.truth).toMatchObject({ rank: null, hypothesis: null, actualCause: "a noisy neighbour", category: "node_pressure" });

    // The team re-runs the offline analyzer on the exported bundle.
    const rerun = io();
    expect(await main(["diagnose", "--input", join(out, ids.confirmed, "bundle.json"), "--json"], rerun.io)).toBe(0);
    expect(rerun.out.join("")).toContain("oom_killed");
  });

  it("needs --out and knows only export", async () => {
    const a = io();
    expect(await main(["feedback", "export"], a.io)).toBe(2);
    expect(a.err.join("")).toMatch(/--out <dir> is required/);
    const b = io();
    expect(await main(["feedback", "import", "--out", dir], b.io)).toBe(2);
    expect(b.err.join("")).toMatch(/the one action is export/);
  });
});
