import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { commands, type CommandName, type CommandSpec } from "./spec";
import pkg from "@/package.json";
import { describeError, isAppError } from "@/lib/errors";
import type { Config } from "@/lib/config";
import type { EvidenceBundle } from "@/lib/cluster/bundle";
import type { Target } from "@/lib/alerts/types";

// Everything but the argument table is imported by the command that needs it, so `--help` loads no
// schema library and only `analyze` and `bundle` load the Kubernetes, Gemini and GitHub clients.

/** Exit codes: 0 ok, 1 the work failed, 2 bad usage or input. */
class UsageError extends Error {}
/** The cluster could not be read at all: exit 1 with the reason, and no report built on no evidence. */
class NoEvidenceError extends Error {}

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
  for (const [name, spec] of Object.entries(commands) as [string, CommandSpec][]) {
    const args = (spec.args ?? []).map((a) => ` <${a}>`).join("");
    lines.push(`  ${name.padEnd(9)} ${spec.summary}`);
    if (args) lines.push(`      usage: triage ${name}${args}`);
    for (const [flag, f] of Object.entries(spec.flags)) lines.push(`      --${flag}${f.type === "string" ? " <value>" : ""}  ${f.description}`);
  }
  lines.push("", "  --version     print triage's version", "  --help        print this help");
  return lines.join("\n") + "\n";
}

/** Run the CLI with argv (without node and script); returns the exit code. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.out(usage());
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    io.out(`triage ${pkg.version}\n`);
    return 0;
  }
  if (!(name in commands)) {
    io.err(`triage: unknown command "${name}". Commands: ${Object.keys(commands).join(", ")}.\n`);
    return 2;
  }
  const command = name as CommandName;
  try {
    const spec: CommandSpec = commands[command];
    const expected = spec.args ?? [];
    const { values, positionals } = parseArgs({ args: rest, options: spec.flags, strict: true, allowPositionals: expected.length > 0 });
    if (positionals.length !== expected.length) {
      throw new UsageError(`expected ${expected.map((a) => `<${a}>`).join(" ")}, got ${positionals.length === 0 ? "nothing" : positionals.map((p) => `"${p}"`).join(" ")}. Usage: triage ${command} ${expected.map((a) => `<${a}>`).join(" ")}`);
    }
    const flags = values as Record<string, string | boolean | undefined>;
    return await run(command, flags, io, positionals);
  } catch (e) {
    if (e instanceof NoEvidenceError) {
      io.err(`triage ${command}: ${e.message.replace(/\s+/g, " ")}\n`);
      return 1;
    }
    const { isConfigError } = await import("@/lib/config");
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

async function run(command: CommandName, f: Record<string, string | boolean | undefined>, io: Io, args: string[]): Promise<number> {
  switch (command) {
    case "backup":
      return backup(args[0] ?? "", Boolean(f.force), io);
    case "stats":
      return stats(f, io);
    case "feedback":
      return feedbackExport(args[0] ?? "", f, io);
    case "redact": {
      const { redactText } = await import("@/lib/analysis/redact");
      io.out(redactText(await io.stdin()).text);
      return 0;
    }
    case "diagnose": {
      const [bundle, { diagnose }] = await Promise.all([readRedactedBundle(f.input), import("@/lib/analysis/offline/diagnose")]);
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
    case "reduce":
      return reduce(f, io);
    case "bundle": {
      const { loadConfig } = await import("@/lib/config");
      const { redactBundle } = await import("@/lib/analysis/redact");
      const target = await readTarget(f);
      const { snapshotFromTarget } = await import("@/lib/alerts/snapshot");
      const raw = await gatherFromCluster(loadConfig(), target, snapshotFromTarget({ ...target, alertname: flagText(f.alert), severity: flagText(f.severity) }));
      const { bundle } = redactBundle(raw);
      io.out(JSON.stringify(bundle, null, 2) + "\n");
      for (const e of bundle.errors) io.err(`warning: ${e.part}: ${e.message}\n`);
      return 0;
    }
    case "analyze":
      return analyze(f, io);
    case "db":
      return dbCommand(args[0] ?? "", f, io);
  }
}

/** `db copy --from URL --to URL`: one line per table on stderr as it goes, a summary on stdout. */
async function dbCommand(action: string, f: Record<string, string | boolean | undefined>, io: Io): Promise<number> {
  if (action !== "copy") throw new UsageError(`unknown db action "${action}". Usage: triage db copy --from file:./data/triage.sqlite --to postgres://user:password@host:5432/triage`);
  const from = flagText(f.from);
  const to = flagText(f.to);
  if (!from || !to) throw new UsageError("--from and --to are required, e.g. triage db copy --from file:./data/triage.sqlite --to postgres://user:password@host:5432/triage");
  const [{ copyDatabase }, { redactDatabaseUrl }] = await Promise.all([import("@/lib/store/copy"), import("@/lib/store/database-url")]);
  const tables = await copyDatabase(from, to, { onTable: (c) => io.err(`db copy: ${c.table}: ${c.read} read, ${c.added} new\n`) });
  const summary = tables.map((c) => `${c.table} ${c.added} new of ${c.read}`).join(", ");
  io.out(`Copied ${redactDatabaseUrl(from)} to ${redactDatabaseUrl(to)}: ${summary}.\n`);
  return 0;
}

/** The logs exactly as the pipeline condenses them for Gemini (same signals, same budget split). */
async function reduce(f: Record<string, string | boolean | undefined>, io: Io): Promise<number> {
  const [bundle, { diagnose }, { condenseLogs }] = await Promise.all([readRedactedBundle(f.input), import("@/lib/analysis/offline/diagnose"), import("@/lib/analysis/reduce")]);
  const budget = f["budget-tokens"] === undefined ? (await import("@/lib/config")).loadConfig().gemini.logBudgetTokens : Number(f["budget-tokens"]);
  if (!Number.isInteger(budget) || budget < 100) throw new UsageError(`--budget-tokens must be an integer of at least 100, got "${String(f["budget-tokens"])}"`);
  const condensed = condenseLogs(bundle, diagnose(bundle).signals, budget);
  const parts = [
    condensed.previousLogs ? { title: "previous container logs", r: condensed.previousLogs } : undefined,
    condensed.logs ? { title: "current logs", r: condensed.logs } : undefined,
  ].filter((p) => p !== undefined);
  if (!parts.length) throw new UsageError("the bundle has no logs or previousLogs to reduce");
  const dropped = parts.reduce((n, p) => n + p.r.droppedCitedLines, 0);
  if (dropped > 0) {
    const cited = parts.reduce((n, p) => n + p.r.citedLines, 0);
    io.err(`triage reduce: the lines the signals cite do not fit in ${budget} tokens: ${dropped} of ${cited} were left out (raise --budget-tokens to keep them all)\n`);
  }
  if (f.json) {
    const text = parts.map((p) => (parts.length > 1 ? `### ${p.title}\n${p.r.text}` : p.r.text)).join("\n");
    const sum = (k: "tokens" | "keptLines" | "totalLines") => parts.reduce((n, p) => n + p.r[k], 0);
    io.out(JSON.stringify({ text, tokens: sum("tokens"), keptLines: sum("keptLines"), totalLines: sum("totalLines") }) + "\n");
  } else {
    for (const p of parts) io.out(`### ${p.title}: ${p.r.keptLines}/${p.r.totalLines} lines, ~${p.r.tokens} tokens\n${p.r.text}\n`);
  }
  return 0;
}

async function analyze(f: Record<string, string | boolean | undefined>, io: Io): Promise<number> {
  const { loadConfig } = await import("@/lib/config");
  const config = loadConfig();
  if (f.json && f.markdown) throw new UsageError("choose one of --json and --markdown");
  const { snapshotFingerprint, snapshotFromTarget } = await import("@/lib/alerts/snapshot");
  let bundle: EvidenceBundle;
  if (typeof f.input === "string") {
    if (f.pod || f.namespace) throw new UsageError("give either --input or --namespace/--pod, not both");
    bundle = await readBundle(f.input);
    if (f.alert) bundle.alert.labels.alertname = String(f.alert);
    if (f.severity) bundle.alert.labels.severity = String(f.severity);
    const { missingEvidence } = await import("@/lib/cluster/gather");
    const missing = missingEvidence(bundle);
    if (missing) throw new NoEvidenceError(`${f.input} holds no evidence: ${missing}`);
  } else {
    const target = await readTarget(f);
    bundle = await gatherFromCluster(config, target, snapshotFromTarget({ ...target, alertname: flagText(f.alert), severity: flagText(f.severity) }));
  }
  // The console names a pod analyzed without an alert by the same fingerprint: both file on one issue.
  const fingerprint = snapshotFingerprint(bundle.alert, bundle.target);
  if (f["file-issue"] && !fingerprint) {
    throw new UsageError("the bundle's alert has no fingerprint and no namespace and pod labels, so its issue cannot be matched: add alert.fingerprint or the labels");
  }

  const { runAnalysis } = await import("@/lib/analysis/pipeline");
  const gemini = !f.offline && config.gemini.apiKey ? (await import("@/lib/analysis/gemini")).createGeminiDiagnoser(config.gemini) : undefined;
  const result = await runAnalysis(
    { alert: bundle.alert, bundle },
    { gemini, offlineReason: "GEMINI_API_KEY is not set", budgetTokens: config.gemini.logBudgetTokens },
    {
      offline: Boolean(f.offline),
      onProgress: (e) => {
        if (e.status === "failed") io.err(`warning: ${e.step}: ${e.detail ?? "failed"}\n`);
      },
    },
  );

  let issue: { action: string; number: number; url: string } | undefined;
  const refused = f["file-issue"] ? (await import("@/lib/analysis/filing")).filingRefusal(result.report) : undefined;
  if (refused) {
    io.err(`not filing an issue: ${refused}\n`);
  } else if (f["file-issue"] && fingerprint) {
    const [{ buildIssue }, { createIssueFiler }, { createMemoryIssueRegistry }] = await Promise.all([
      import("@/lib/github/issue"),
      import("@/lib/github/filer"),
      import("@/lib/github/registry"),
    ]);
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

/** Accuracy of the stored reports over the analyses with feedback, as a table or JSON. */
async function stats(f: Record<string, string | boolean | undefined>, io: Io): Promise<number> {
  const [{ loadConfig }, { openStore }, { accuracyReport }, { accuracyText }] = await Promise.all([
    import("@/lib/config"),
    import("@/lib/store"),
    import("@/lib/triage/feedback"),
    import("@/lib/feedback/accuracy"),
  ]);
  const store = await openStore(loadConfig().databaseUrl);
  try {
    const r = await accuracyReport({ store }, flagText(f.since) ?? "30d");
    io.out(f.json ? JSON.stringify(r, null, 2) + "\n" : accuracyText(r.accuracy, r.period));
    return 0;
  } finally {
    await store.close();
  }
}

/** `triage feedback export --out DIR`: the analyses with feedback as evidence bundles with their truth. */
async function feedbackExport(action: string, f: Record<string, string | boolean | undefined>, io: Io): Promise<number> {
  if (action !== "export") throw new UsageError(`unknown action "${action}": the one action is export. Usage: triage feedback export --out <dir>`);
  const out = flagText(f.out);
  if (!out) throw new UsageError("--out <dir> is required: the folder to write the cases into");
  const [{ loadConfig }, { openStore }, { parseSince }, { exportFeedbackCases }] = await Promise.all([
    import("@/lib/config"),
    import("@/lib/store"),
    import("@/lib/feedback/accuracy"),
    import("@/lib/feedback/export"),
  ]);
  let since: Date | undefined;
  try {
    since = parseSince(flagText(f.since));
  } catch (e) {
    throw new UsageError(`--since: ${describeError(e)}`);
  }
  const store = await openStore(loadConfig().databaseUrl);
  try {
    const r = await exportFeedbackCases(store, out, { since: since?.toISOString() });
    io.out(`Exported ${r.written} case${r.written === 1 ? "" : "s"} with feedback to ${r.dir}${r.skipped ? ` (${r.skipped} without a stored bundle skipped)` : ""}.\n`);
    return 0;
  } finally {
    await store.close();
  }
}

/** Copy the database to dest; progress on stderr (a line per 10 %), one result line on stdout. */
async function backup(dest: string, force: boolean, io: Io): Promise<number> {
  const [{ loadConfig }, { backupDatabase }] = await Promise.all([import("@/lib/config"), import("@/lib/store")]);
  const config = loadConfig();
  let shown = -1;
  const r = await backupDatabase(config.databaseUrl, dest, {
    force,
    onProgress: (copied, total) => {
      const tenth = total > 0 ? Math.floor((copied / total) * 10) : 10;
      if (tenth > shown && tenth < 10) io.err(`backup: ${copied}/${total} pages\n`);
      shown = Math.max(shown, tenth);
    },
  });
  io.out(`Backed up ${config.databaseUrl} to ${r.path}: ${r.pages} pages, ${(r.bytes / 1024 / 1024).toFixed(1)} MiB, ${r.analyses} analyses, integrity ${r.integrity}.\n`);
  return 0;
}

/**
 * Read the target's evidence from the cluster (unredacted; callers redact).
 * @throws NoEvidenceError when nothing could be read (no kubeconfig, unreachable, 401): no report is
 * built on no evidence.
 */
async function gatherFromCluster(config: Config, target: Target, alert: EvidenceBundle["alert"]): Promise<EvidenceBundle> {
  const [{ createKubeClusterReaders }, { gatherEvidence, missingEvidence }, { createPrometheusVitals }] = await Promise.all([
    import("@/lib/cluster/kube"),
    import("@/lib/cluster/gather"),
    import("@/lib/prometheus/vitals"),
  ]);
  const raw = await gatherEvidence(createKubeClusterReaders(config.kube), target, alert, {
    tailLines: config.kube.tailLines,
    limitBytes: config.kube.limitBytes,
    timeoutMs: config.kube.timeoutMs,
    container: target.container,
    vitals: createPrometheusVitals(config.prometheus),
  });
  const missing = missingEvidence(raw);
  if (missing) throw new NoEvidenceError(`cannot read the cluster: ${missing}`);
  return raw;
}

function flagText(v: string | boolean | undefined): string | undefined {
  return typeof v === "string" && v ? v : undefined;
}

async function readRedactedBundle(path: string | boolean | undefined): Promise<EvidenceBundle> {
  const [bundle, { redactBundle }] = await Promise.all([readBundle(path), import("@/lib/analysis/redact")]);
  return redactBundle(bundle).bundle;
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
  const { evidenceBundleSchema } = await import("@/lib/cluster/bundle");
  const r = evidenceBundleSchema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UsageError(`${path} is not an evidence bundle: ${i?.path.join(".") || "(root)"}: ${i?.message ?? "wrong shape"}`);
  }
  return r.data;
}

async function readTarget(f: Record<string, string | boolean | undefined>): Promise<Target> {
  if (!f.namespace || !f.pod) throw new UsageError("--namespace and --pod are required (or --input bundle.json)");
  const { targetSchema } = await import("@/lib/alerts/types");
  const r = targetSchema.safeParse({
    cluster: f.cluster || undefined,
    namespace: f.namespace,
    pod: f.pod,
    container: f.container || undefined,
  });
  if (!r.success) throw new UsageError(r.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join("; "));
  return r.data;
}
