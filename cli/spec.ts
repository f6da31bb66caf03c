/**
 * The `triage` command's interface: commands and their flags. The CLI parses with this table, and the
 * GitHub Actions workflow test checks every command it runs against it.
 */
export interface FlagSpec {
  type: "string" | "boolean";
  description: string;
}

export interface CommandSpec {
  summary: string;
  /** Positional arguments, all required, in order. */
  args?: readonly string[];
  flags: Record<string, FlagSpec>;
}

const target = {
  cluster: { type: "string", description: "kubeconfig context or cluster label (default: current context)" },
  namespace: { type: "string", description: "namespace of the pod" },
  pod: { type: "string", description: "pod name" },
  container: { type: "string", description: "container (default: the alert's container label, else the failing one)" },
} as const satisfies Record<string, FlagSpec>;

export const commands = {
  analyze: {
    summary: "gather evidence (or read --input), diagnose with Gemini (or offline) and print the report",
    flags: {
      ...target,
      input: { type: "string", description: "read an evidence bundle JSON file instead of the cluster" },
      alert: { type: "string", description: "alert name, e.g. ModelPodOOMKilled" },
      severity: { type: "string", description: "alert severity: critical or warning" },
      offline: { type: "boolean", description: "do not call Gemini; use the offline analyzer" },
      json: { type: "boolean", description: "print the report as JSON" },
      markdown: { type: "boolean", description: "print the report as markdown (default)" },
      "file-issue": { type: "boolean", description: "file the report as a GitHub issue (or comment on the open one)" },
    },
  },
  diagnose: {
    summary: "offline diagnosis of an evidence bundle",
    flags: {
      input: { type: "string", description: "evidence bundle JSON file" },
      json: { type: "boolean", description: "print JSON" },
    },
  },
  reduce: {
    summary: "condense a bundle's logs to a token budget",
    flags: {
      input: { type: "string", description: "evidence bundle JSON file" },
      "budget-tokens": { type: "string", description: "token budget of the condensed logs, as an analysis uses it (default LOG_BUDGET_TOKENS, 8000)" },
      json: { type: "boolean", description: "print JSON" },
    },
  },
  redact: { summary: "read text on stdin, write it with secrets replaced to stdout", flags: {} },
  bundle: {
    summary: "gather a pod's evidence from the cluster and print it (redacted) as a bundle JSON",
    flags: { ...target },
  },
  stats: {
    summary: "top-1 and top-3 accuracy of the reports over the analyses with feedback (DATABASE_URL), per category and per source",
    flags: {
      since: { type: "string", description: "period of analyses: 30d (default), 12h, 2w, all, or a date such as 2026-01-31" },
      json: { type: "boolean", description: "print JSON" },
    },
  },
  feedback: {
    summary: "feedback export: write the analyses with feedback as evidence bundles with their truth (<out>/<id>/bundle.json, truth.json)",
    args: ["export"],
    flags: {
      out: { type: "string", description: "folder to write the cases into (created if missing)" },
      since: { type: "string", description: "period of analyses: all (default), 30d, 12h, 2w, or a date" },
    },
  },
  backup: {
    summary: "copy the console's database (DATABASE_URL) to <dest> with SQLite's online backup, while the console runs",
    args: ["dest"],
    flags: { force: { type: "boolean", description: "replace <dest> if it exists" } },
  },
  db: {
    summary: "db copy: copy the history (analyses, feedback, issues, audit, alert history) from --from to --to, e.g. SQLite to PostgreSQL; run twice, nothing is doubled",
    args: ["action"],
    flags: {
      from: { type: "string", description: "the database to read, e.g. file:./data/triage.sqlite" },
      to: { type: "string", description: "the database to fill, e.g. postgres://triage:password@db:5432/triage" },
    },
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof commands;
