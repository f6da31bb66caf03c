/**
 * What the browser receives about analyses: plain types shared by route handlers and components
 * (components may not import the store itself).
 */
export type { Analysis, AnalysisSummary, AnalysisStatus } from "@/lib/store/models";
export type { Report, Hypothesis, ReportEvidence } from "@/lib/analysis/types";
export type { EvidenceBundle } from "@/lib/cluster/bundle";

export type StepName = "pod" | "logs" | "previousLogs" | "events" | "ownerEvents" | "workload" | "siblings" | "node" | "hpa" | "redact" | "signals" | "reduce" | "gemini" | "report";
export type StepStatus = "started" | "done" | "failed" | "skipped" | "progress";

/** The progress column of an analysis: the latest status of each step. */
export type ProgressMap = Partial<Record<StepName, { status: StepStatus; detail?: string }>>;

export const STEP_LABELS: Record<StepName, string> = {
  pod: "Pod status",
  logs: "Logs",
  previousLogs: "Previous container logs",
  events: "Events",
  ownerEvents: "Owner events",
  workload: "Owner and revisions",
  siblings: "Sibling pods",
  node: "Node",
  hpa: "Autoscaler",
  redact: "Redact secrets",
  signals: "Offline signals",
  reduce: "Condense logs",
  gemini: "Gemini",
  report: "Report",
};

/** The GitHub issue preview: what would be filed, and whether filing is possible. */
export interface IssuePreview {
  title: string;
  labels: string[];
  body: string;
  configured: boolean;
  /** Names of missing settings when not configured (GITHUB_TOKEN, GITHUB_REPOSITORY). */
  missing: string[];
  repository?: string;
  existing?: { number: number; url: string };
}
