import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { commands, type CommandName } from "./spec";
import { isConfigError, loadConfig } from "@/lib/config";
import { describeError, isAppError } from "@/lib/errors";
import { evidenceBundleSchema, type EvidenceBundle } from "@/lib/cluster/bundle";
import { targetSchema, type Target } from "@/lib/alerts/types";
import { redactBundle, redactText } from "@/lib/analysis/redact";
import { diagnose } from "@/lib/analysis/offline/diagnose";
import { reduceLogs } from "@/lib/analysis/reduce";
import { runAnalysis } from "@/lib/analysis/pipeline";
import { createGeminiDiagnoser } from "@/lib/analysis/gemini";
import { createKubeClusterReaders } from "@/lib/cluster/kube";
import { gatherEvidence } from "@/lib/cluster/gather";
import { buildIssue } from "@/lib/github/issue";
import { createIssueFiler } from "@/lib/github/filer";
import { createMemoryIssueRegistry } from "@/lib/github/registry";

/** Exit codes: 0 ok, 1 the work failed, 2 bad usage or input. */
class UsageError extends Error {}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  stdin: () => Promise<string>;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(typeof c === "string" ? Buffer.from(c) : c);
    return Buffer.concat(chunks).toString("utf8");
  },
};

function usage(): string {
  const lines = ["Usage: triage <command> [flags]", "", "Commands:"];
  for (const [name, spec] of Object.entries(commands)) {
    lines.push(`  ${name.padEnd(9)} ${spec.summary}`);
    for (const [flag, f] of Object.entries(spec.flags)) lines.push(`      --${flag}${f.type === "string" ? " <value>" : ""}  ${f.description}`);
  }
  return lines.join("\n") + "\n";
}

/** Run the CLI with argv (without node and script); returns the exit code. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.out(usage());
    return name ? 0 : 2;
  }
  if (!(name in commands)) {
    io.err(`triage: unknown command "${name}". Commands: ${Object.keys(commands).join(", ")}.\n`);
    return 2;
  }
  const command = name as CommandName;
  try {
    const { values } = parseArgs({ args: rest, options: commands[command].flags, strict: true, allowPositionals: false });
    const flags = values as Record<string, string | boolean | undefined>;
    return await run(command, flags, io);
  } catch (e) {
    if (e instanceof UsageError || isConfigError(e)) {
      io.err(`triage ${command}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS")) {
      io.err(`triage ${command}: ${e.message}. See triage --help.\n`);
      return 2;
    }
    if (isAppError(e)) {
      io.err(`triage ${command}: ${e.message}${e.hint ? ` (${e.hint})` : ""}\n`);
      return e.status < 500 && e.code !== "rate_limited" ? 2 : 1;
    }
    io.err(`triage ${command}: ${describeError(e)}\n`);
    return 1;
  }
}

async function run(command: CommandName, f: Record<string, string | boolean | undefined>, io: Io): Promise<number> {
  switch (command) {
    case "redact": {
      io.out(redactText(await io.stdin()).text);
      return 0;
    }
    case "diagnose": {
      const bundle = redactBundle(await readBundle(f.input)).bundle;
      const d = diagnose(bundle);
      if (f.json) io.out(JSON.stringify({ hypotheses: d.hypotheses, signals: d.signals }, null, 2) + "\n");
      else
        io.out(
          d.hypotheses
            .map((h, i) => `${i + 1}. [${h.category}] ${h.title} (confidence ${h.confidence.toFixed(2)})\n${h.evidence.map((e) => `   - ${e.source}${e.line ? `:${e.line}` : ""}: ${e.text}`).join("\n")}\n   → ${h.suggestion}`)
            .join("\n") + "\n",
        );
      return 0;
    }
    case "reduce": {
      const bundle = redactBundle(await readBundle(f.input)).bundle;
      const budget = f["budget-tokens"] === undefined ? loadConfig().gemini.logBudgetTokens : Number(f["budget-tokens"]);
      if (!Number.isInteger(budget) || budget < 100) throw new UsageError(`--budget-tokens must be an integer of at least 100, got "${String(f["budget-tokens"])}"`);
      const keep = (src: "logs" | "previousLogs") =>
        diagnose(bundle).signals.flatMap((s) => s.evidence.filter((e) => e.source === src && e.line).map((e) => e.line ?? 0));
      const parts = [
        bundle.previousLogs !== undefined ? { title: "previous container logs", r: reduceLogs(bundle.previousLogs, { budgetTokens: budget, keepLines: keep("previousLogs") }) } : undefined,
        bundle.logs !== undefined ? { title: "current logs", r: reduceLogs(bundle.logs, { budgetTokens: budget, keepLines: keep("logs") }) } : undefined,
      ].filter((p) => p !== undefined);
      if (!parts.length) throw new UsageError("the bundle has no logs or previousLogs to reduce");
      if (f.json) {
        const text = parts.map((p) => (parts.length > 1 ? `### ${p.title}\n${p.r.text}` : p.r.text)).join("\n");
        const sum = (k: "tokens" | "keptLines" | "totalLines") => parts.reduce((n, p) => n + p.r[k], 0);
        io.out(JSON.stringify({ text, tokens: sum("tokens"), keptLines: sum("keptLines"), totalLines: sum("totalLines") }) + "\n");
      } else {
        for (const p of parts) io.out(`### ${p.title}: ${p.r.keptLines}/${p.r.totalLines} lines, ~${p.r.tokens} tokens\n${p.r.text}\n`);
      }
      return 0;
    }
    case "bundle": {
      const config = loadConfig();
      const target = readTarget(f);
      const raw = await gatherEvidence(createKubeClusterReaders(config.kube), target, alertFromFlags(f, target), {
        tailLines: config.kube.tailLines,
        limitBytes: config.kube.limitBytes,
        timeoutMs: config.kube.timeoutMs,
        container: target.container,
      });
      const { bundle } = redactBundle(raw);
      io.out(JSON.stringify(bundle, null, 2) + "\n");
      for (const e of bundle.errors) io.err(`warning: ${e.part}: ${e.message}\n`);
      return 0;
    }
    case "analyze":
      return analyze(f, io);
  }
}

async function analyze(f: Record<string, string | boolean | undefined>, io: Io): Promise<number> {
  const config = loadConfig();
  if (f.json && f.markdown) throw new UsageError("choose one of --json and --markdown");
  let bundle: EvidenceBundle | undefined;
  let target: Target | undefined;
  if (typeof f.input === "string") {
    if (f.pod || f.namespace) throw new UsageError("give either --input or --namespace/--pod, not both");
    bundle = await readBundle(f.input);
    if (f.alert) bundle.alert.labels.alertname = String(f.alert);
    if (f.severity) bundle.alert.labels.severity = String(f.severity);
  } else {
    target = readTarget(f);
  }
  const alert = bundle?.alert ?? alertFromFlags(f, target);
  const gemini = !f.offline && config.gemini.apiKey ? createGeminiDiagnoser(config.gemini) : undefined;
  const result = await runAnalysis(
    { target, alert, bundle },
    {
      readers: target ? createKubeClusterReaders(config.kube) : undefined,
      gemini,
      offlineReason: "GEMINI_API_KEY is not set",
      budgetTokens: config.gemini.logBudgetTokens,
      tailLines: config.kube.tailLines,
      limitBytes: config.kube.limitBytes,
      timeoutMs: config.kube.timeoutMs,
    },
    {
      offline: Boolean(f.offline),
      onProgress: (e) => {
        if (e.status === "failed") io.err(`warning: ${e.step}: ${e.detail ?? "failed"}\n`);
      },
    },
  );

  let issue: { action: string; number: number; url: string } | undefined;
  if (f["file-issue"]) {
    const fingerprint = result.bundle.alert.fingerprint ?? cliFingerprint(result.bundle);
    const filer = createIssueFiler(config.github, { registry: createMemoryIssueRegistry() });
    const built = buildIssue({ report: result.report, reportMarkdown: result.markdown, bundle: result.bundle, fingerprint });
    if (!filer.configured) {
      io.err(`GitHub filing is not configured (missing ${filer.missing.join(", ")}); this is the issue it would file:\n\n# ${built.title}\nlabels: ${built.labels.join(", ")}\n\n${built.body}\n`);
      return 1;
    }
    issue = await filer.fileIncident(built, fingerprint);
  }

  if (f.json) {
    io.out(JSON.stringify({ ...result.report, markdown: result.markdown, ...(issue ? { issue } : {}) }, null, 2) + "\n");
  } else {
    io.out(result.markdown + "\n");
  }
  if (issue) io.err(`${issue.action === "created" ? "Filed" : "Commented on"} ${issue.url}\n`);
  return 0;
}

async function readBundle(path: string | boolean | undefined): Promise<EvidenceBundle> {
  if (typeof path !== "string" || !path) throw new UsageError("--input <bundle.json> is required");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = e && typeof e === "object" && "code" in e ? String(e.code) : "";
    throw new UsageError(code === "ENOENT" ? `no such file: ${path}` : `cannot read ${path}: ${describeError(e)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${path} is not valid JSON: ${describeError(e)}`);
  }
  const r = evidenceBundleSchema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UsageError(`${path} is not an evidence bundle: ${i?.path.join(".") || "(root)"}: ${i?.message ?? "wrong shape"}`);
  }
  return r.data;
}

function readTarget(f: Record<string, string | boolean | undefined>): Target {
  if (!f.namespace || !f.pod) throw new UsageError("--namespace and --pod are required (or --input bundle.json)");
  const r = targetSchema.safeParse({
    cluster: f.cluster || undefined,
    namespace: f.namespace,
    pod: f.pod,
    container: f.container || undefined,
  });
  if (!r.success) throw new UsageError(r.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join("; "));
  return r.data;
}

function alertFromFlags(f: Record<string, string | boolean | undefined>, target: Target | undefined): EvidenceBundle["alert"] {
  const labels: Record<string, string> = {};
  if (typeof f.alert === "string") labels.alertname = f.alert;
  if (typeof f.severity === "string") labels.severity = f.severity;
  if (target) {
    labels.namespace = target.namespace;
    labels.pod = target.pod;
    if (target.container) labels.container = target.container;
    if (target.cluster) labels.cluster = target.cluster;
  }
  return { labels, annotations: {} };
}

/** Alertmanager's fingerprint is not known on the CLI; derive a stable one from the identifying labels. */
function cliFingerprint(bundle: EvidenceBundle): string {
  const l = bundle.alert.labels;
  const key = ["alertname", "cluster", "namespace", "pod"].map((k) => `${k}=${l[k] ?? ""}`).join(",");
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

