import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { z } from "zod";
import { DEPLOY, readYamlDocs, run } from "./helpers";

const PROM = join(DEPLOY, "prometheus");
const RULES = join(PROM, "model-alerts.rules.yml");
const TESTS = join(PROM, "model-alerts.test.yml");
const OPERATOR = join(PROM, "prometheusrule.yaml");

const ALERTS = ["ModelPodNotRunning", "ModelPodFrequentRestarts", "ModelPodOOMKilled", "ModelHighCPUUsage", "ModelHighMemoryUsage"];

const ruleSchema = z.object({
  alert: z.string(),
  expr: z.string(),
  for: z.string(),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
});
const ruleFileSchema = z.object({ groups: z.array(z.object({ name: z.string(), rules: z.array(ruleSchema) })) });
const promtoolTestsSchema = z.object({
  rule_files: z.array(z.string()),
  tests: z.array(
    z.object({
      alert_rule_test: z.array(
        z.object({ alertname: z.string(), eval_time: z.string(), exp_alerts: z.array(z.object({ exp_labels: z.record(z.string(), z.string()) })) }),
      ),
    }),
  ),
});

const ruleFile = ruleFileSchema.parse(parse(readFileSync(RULES, "utf8")));
const rules = ruleFile.groups.flatMap((g) => g.rules);

const tmp = mkdtempSync(join(tmpdir(), "promtool-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("Prometheus rules (promtool)", () => {
  it("passes promtool check rules with the five alerts", async () => {
    const r = await run("promtool", ["check", "rules", RULES]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("SUCCESS: 5 rules found");
    expect(rules.map((x) => x.alert).sort()).toEqual([...ALERTS].sort());
  });

  it("passes its unit tests (promtool test rules)", async () => {
    const r = await run("promtool", ["test", "rules", TESTS]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("SUCCESS");
  });

  it("has, for every rule, a test where it fires and one where it must not", () => {
    const cases = promtoolTestsSchema.parse(parse(readFileSync(TESTS, "utf8"))).tests.flatMap((t) => t.alert_rule_test);
    for (const alert of ALERTS) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(mine.some((c) => c.exp_alerts.length > 0), `${alert} never fires in the tests`).toBe(true);
      expect(mine.some((c) => c.exp_alerts.length === 0), `${alert} has no must-not-fire case`).toBe(true);
      for (const c of mine) for (const a of c.exp_alerts) expect(a.exp_labels.severity).toMatch(/^(critical|warning)$/);
    }
  });

  it("gives every rule the labels and annotations the console needs", () => {
    for (const r of rules) {
      expect(r.labels.severity, r.alert).toMatch(/^(critical|warning)$/);
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      expect(r.annotations.summary, r.alert).toBeTruthy();
      expect(r.annotations.description, r.alert).toBeTruthy();
      // Scoped to the model-serving namespaces, and grouped so the console's labels survive aggregation.
      expect(r.expr, r.alert).toContain('namespace=~"ml-.*"');
      expect(r.expr, r.alert).toMatch(/by \(cluster, namespace, pod/);
      const url = r.annotations.triage_url ?? "";
      expect(url.startsWith(`https://triage.example.com/triage?alertname=${r.alert}&`), r.alert).toBe(true);
      expect(url).toContain("namespace={{ $labels.namespace | urlquery }}");
      expect(url).toContain("pod={{ $labels.pod | urlquery }}");
      expect(url).toContain("{{ with $labels.cluster }}&cluster={{ . | urlquery }}{{ end }}");
      expect(url.endsWith("&analyze=1"), r.alert).toBe(true);
    }
    expect(rules.find((r) => r.alert === "ModelPodNotRunning")?.expr).not.toMatch(/Succeeded/);
  });

  it("ships the same rules as a PrometheusRule resource, which promtool also accepts", async () => {
    const docs = readYamlDocs(OPERATOR);
    expect(docs).toHaveLength(1);
    const resource = z
      .object({
        apiVersion: z.literal("monitoring.coreos.com/v1"),
        kind: z.literal("PrometheusRule"),
        metadata: z.object({ name: z.string(), namespace: z.string() }),
        spec: z.unknown(),
      })
      .parse(docs[0]);
    expect(resource.spec, "prometheusrule.yaml is stale: run node deploy/prometheus/generate-prometheusrule.mjs").toEqual(
      parse(readFileSync(RULES, "utf8")),
    );
    const specFile = join(tmp, "from-prometheusrule.yml");
    writeFileSync(specFile, stringify(resource.spec));
    const r = await run("promtool", ["check", "rules", specFile]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  // Negative checks: the tests above must be able to fail.
  it("fails promtool test rules when an expectation is wrong", async () => {
    const dir = mkdtempSync(join(tmp, "wrong-"));
    copyFileSync(RULES, join(dir, "model-alerts.rules.yml"));
    const text = readFileSync(TESTS, "utf8");
    const wrong = text.replace("summary: \"Model container ml-serving/llm-0/model was OOMKilled\"", "summary: \"something else\"");
    expect(wrong).not.toBe(text);
    writeFileSync(join(dir, "model-alerts.test.yml"), wrong);
    const r = await run("promtool", ["test", "rules", join(dir, "model-alerts.test.yml")]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("ModelPodOOMKilled");
  });

  it("fails when ModelPodNotRunning stops excluding completed Job pods", async () => {
    const dir = mkdtempSync(join(tmp, "mutant-"));
    const text = readFileSync(RULES, "utf8");
    const mutant = text.replace('phase=~"Pending|Failed|Unknown"', 'phase!="Running"');
    expect(mutant).not.toBe(text);
    writeFileSync(join(dir, "model-alerts.rules.yml"), mutant);
    copyFileSync(TESTS, join(dir, "model-alerts.test.yml"));
    const r = await run("promtool", ["test", "rules", join(dir, "model-alerts.test.yml")]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("embed-backfill-8xk2p");
  });
});
