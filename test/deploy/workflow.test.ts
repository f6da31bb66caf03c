import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { commands } from "@/cli/spec";
import { configEnvNames, ROOT } from "./helpers";

const FILE = join(ROOT, ".github", "workflows", "ai-log-analysis.yml");

const inputSchema = z.object({
  description: z.string(),
  required: z.boolean().optional(),
  type: z.enum(["string", "choice", "boolean", "number", "environment"]),
  options: z.array(z.string()).optional(),
  default: z.union([z.string(), z.boolean(), z.number()]).optional(),
});
const stepSchema = z.object({
  name: z.string().optional(),
  uses: z.string().optional(),
  run: z.string().optional(),
  with: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  env: z.record(z.string(), z.string()).optional(),
});
const workflowSchema = z.object({
  name: z.string(),
  on: z.object({ workflow_dispatch: z.object({ inputs: z.record(z.string(), inputSchema) }) }).strict(),
  permissions: z.record(z.string(), z.enum(["read", "write", "none"])),
  jobs: z.record(z.string(), z.object({ "runs-on": z.string(), steps: z.array(stepSchema) })),
});
type Workflow = z.infer<typeof workflowSchema>;

interface TriageCall {
  command: string;
  flags: string[];
  variables: string[];
  env: Record<string, string>;
}

/** Expressions in run scripts are pasted into the shell text before it runs: the script-injection hole. */
function injectableRuns(wf: Workflow): string[] {
  return Object.values(wf.jobs)
    .flatMap((j) => j.steps)
    .filter((s) => s.run !== undefined && /\$\{\{/.test(s.run))
    .map((s) => s.name ?? s.run ?? "");
}

/** Every `triage <command> ...` the workflow runs, with the flags and shell variables it passes. */
function triageCalls(wf: Workflow): TriageCall[] {
  return Object.values(wf.jobs)
    .flatMap((j) => j.steps)
    .flatMap((s) =>
      (s.run ?? "")
        .replace(/\\\n/g, " ")
        .split("\n")
        .flatMap((line) => {
          const m = /\b(?:npx(?:\s+--no-install)?|npm\s+exec\s+--)\s+triage\s+(\S+)(.*)$/.exec(line);
          if (!m) return [];
          const rest = (m[2] ?? "").split(/\s[|>]|\s\|\|/)[0] ?? "";
          return [
            {
              command: m[1] ?? "",
              flags: [...rest.matchAll(/(?:^|\s)--([a-z][a-z-]*)/g)].map((f) => f[1] ?? ""),
              variables: [...rest.matchAll(/\$\{?([A-Z_][A-Z0-9_]*)/g)].map((v) => v[1] ?? ""),
              env: s.env ?? {},
            },
          ];
        }),
    );
}

const text = readFileSync(FILE, "utf8");
const wf = workflowSchema.parse(parse(text));
const inputs = wf.on.workflow_dispatch.inputs;
const steps = Object.values(wf.jobs).flatMap((j) => j.steps);

describe("ai-log-analysis workflow", () => {
  it("is started by hand (workflow_dispatch only) with the declared inputs", () => {
    expect(Object.keys(inputs).sort()).toEqual(["alert_name", "cluster", "namespace", "pod_name", "severity"]);
    expect(inputs.pod_name?.required).toBe(true);
    expect(inputs.namespace?.required).toBe(true);
    expect(inputs.severity).toMatchObject({ type: "choice", options: ["critical", "warning"] });
  });

  it("declares every input it uses", () => {
    const used = [...text.matchAll(/\b(?:github\.event\.)?inputs\.([A-Za-z0-9_-]+)/g)].map((m) => m[1] ?? "");
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(Object.keys(inputs), `inputs.${name} is not declared`).toContain(name);
  });

  it("reads code and writes issues, nothing more", () => {
    expect(wf.permissions).toEqual({ contents: "read", issues: "write" });
  });

  it("passes inputs to scripts through env, never by ${{ }} in run:", () => {
    expect(injectableRuns(wf)).toEqual([]);
    // The check itself catches the classic mistake.
    const bad = workflowSchema.parse(parse(text.replace('--pod "$POD"', '--pod "${{ inputs.pod_name }}"')));
    expect(injectableRuns(bad)).toHaveLength(1);
  });

  it("sets up Node 24 with the npm cache, installs with npm ci and writes the kubeconfig from a secret", () => {
    const setupNode = steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
    expect(setupNode?.with).toMatchObject({ "node-version": 24, cache: "npm" });
    expect(steps.some((s) => s.uses?.startsWith("actions/checkout@"))).toBe(true);
    expect(steps.some((s) => /^npm ci\b/.test(s.run ?? ""))).toBe(true);
    const kube = steps.find((s) => /KUBECONFIG=/.test(s.run ?? ""));
    expect(kube?.env?.KUBECONFIG_B64).toBe("${{ secrets.KUBECONFIG_B64 }}");
    expect(kube?.run).toContain('>> "$GITHUB_ENV"');
  });

  it("runs a triage command and flags that exist in cli/spec.ts, with every variable it uses set", () => {
    const calls = triageCalls(wf);
    expect(calls).toHaveLength(1);
    for (const call of calls) {
      const spec = Object.entries(commands).find(([name]) => name === call.command)?.[1];
      expect(spec, `triage ${call.command} is not a command in cli/spec.ts`).toBeDefined();
      for (const flag of call.flags) expect(Object.keys(spec?.flags ?? {}), `triage ${call.command} --${flag}`).toContain(flag);
      for (const v of call.variables) expect(Object.keys(call.env), `$${v} is not set in the step's env`).toContain(v);
    }
    const call = calls[0];
    expect(call?.command).toBe("analyze");
    expect(call?.flags).toEqual(expect.arrayContaining(["namespace", "pod", "alert", "severity", "cluster", "file-issue", "markdown"]));
    expect(call?.env).toMatchObject({
      POD: "${{ inputs.pod_name }}",
      NAMESPACE: "${{ inputs.namespace }}",
      SEVERITY: "${{ inputs.severity }}",
      GEMINI_API_KEY: "${{ secrets.GEMINI_API_KEY }}",
      GITHUB_TOKEN: "${{ secrets.GITHUB_TOKEN }}",
      GITHUB_REPOSITORY: "${{ github.repository }}",
    });
    const configNames = configEnvNames();
    for (const name of ["GEMINI_API_KEY", "GITHUB_TOKEN", "GITHUB_REPOSITORY"]) expect(configNames.has(name), name).toBe(true);
    expect(steps.some((s) => (s.run ?? "").includes('>> "$GITHUB_STEP_SUMMARY"'))).toBe(true);
  });

  it("finds flags the CLI does not have", () => {
    const bad = workflowSchema.parse(parse(text.replace("--file-issue", "--file-issues")));
    const flags = triageCalls(bad)[0]?.flags ?? [];
    expect(flags).toContain("file-issues");
    expect(Object.keys(commands.analyze.flags)).not.toContain("file-issues");
  });
});
