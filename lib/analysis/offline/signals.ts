import type { EvidenceBundle } from "@/lib/cluster/bundle";
import type { Signal, SignalCategory, SignalEvidence } from "@/lib/analysis/types";
import { scanLog, type Finding, type LogScan } from "./log-signals";
import { analyzeEvents, analyzeStatus, limitsEvidence, type PodFacts } from "./pod-signals";
import { metricFindings } from "./metric-signals";
import { suggestionFor, type SuggestionContext } from "./suggestions";
import { metricsQuotableLines } from "@/lib/analysis/metrics-summary";
import { clip } from "./text";
import { healthFindings, servingHealth } from "./log-health";
import { contextFindings } from "./change-signals";
import { detectServer } from "./server";
import { changesLines, neighbourhoodLines, readHpa, readNode, rollbackRevisions, workloadRef } from "@/lib/analysis/context";
import { viewEvents, viewPod, type PodView } from "@/lib/cluster/view";

export { suggestionFor } from "./suggestions";
export type { SuggestionContext, SuggestionVariant } from "./suggestions";

/**
 * Tie-break between equally confident signals: causes that stop a pod from running at all come
 * before causes inside the running process, and those before symptoms.
 */
export const CATEGORY_ORDER: SignalCategory[] = [
  "image_pull",
  "unschedulable",
  "evicted",
  "config_error",
  "oom_killed",
  "memory_leak",
  "gpu_oom",
  "model_load_failure",
  "probe_failure",
  "node_pressure",
  "bad_rollout",
  "dependency_unreachable",
  "app_crash",
  "cpu_throttling",
  "load_surge",
  "overload",
  "unknown",
];

/**
 * The text that status evidence quotes: every `source: "status"` evidence text is a verbatim
 * substring of this (the pod JSON as JSON.stringify renders it).
 */
export function statusText(bundle: EvidenceBundle): string {
  return bundle.pod ? JSON.stringify(bundle.pod) : "";
}

/** The text an evidence item quotes, by source: pod JSON, event messages (one per line), the metrics summary's lines, or the log. */
export function evidenceSourceText(bundle: EvidenceBundle, source: SignalEvidence["source"]): string {
  if (source === "status") return statusText(bundle);
  if (source === "metrics") return metricsQuotableLines(bundle).join("\n");
  if (source === "events") return viewEvents(bundle.events).map((e) => e.message).join("\n");
  if (source === "changes") return changesLines(bundle).join("\n");
  if (source === "neighbourhood") return neighbourhoodLines(bundle).join("\n");
  return (source === "logs" ? bundle.logs : bundle.previousLogs) ?? "";
}

function suggestionContext(bundle: EvidenceBundle, pod: PodView | undefined, facts: PodFacts): SuggestionContext {
  const meta = pod?.metadata;
  return {
    namespace: bundle.target?.namespace ?? bundle.alert.labels.namespace ?? meta?.namespace,
    pod: bundle.target?.pod ?? bundle.alert.labels.pod ?? meta?.name,
    container: facts.target,
    server: detectServer(bundle),
    workload: workloadRef(bundle),
    previousRevision: rollbackRevisions(bundle).previous,
    node: readNode(bundle.node)?.name ?? pod?.spec?.nodeName,
    hpa: readHpa(bundle.hpa),
  };
}

/** A readiness/liveness story told by the events, weighed against what the logs show. */
function probeFindings(facts: PodFacts, crash: LogScan | undefined, current: LogScan): Finding[] {
  const kills = facts.probeFailures.filter((p) => p.kind === "liveness" || p.kind === "startup");
  const readiness = facts.probeFailures.filter((p) => p.kind === "readiness");
  if (!facts.probeKill && kills.length === 0 && readiness.length === 0) return [];
  const first = kills[0] ?? readiness[0];
  const evidence: SignalEvidence[] = [...(facts.probeKill ? [facts.probeKill.evidence] : []), ...(first ? [first.evidence] : [])];
  const detail = first ? ` (${clip(first.message, 90)})` : "";
  const signalled = facts.exitCode === undefined || facts.exitCode === 137 || facts.exitCode === 143;
  const killedKind =
    facts.probeKill?.kind ??
    (kills.length > 0 && facts.restartCount > 0 && signalled && facts.termReason !== "OOMKilled" ? kills[0]?.kind : undefined);
  const exception = crash?.finalException;
  const crashedOnItsOwn = !!exception && !/KeyboardInterrupt|SystemExit|SIGTERM|signal 15|Terminated/.test(exception.headline) && !signalled;
  const loading = crash ? crash.loadingAtEnd : current.loadingAtEnd;

  if (killedKind) {
    if (crashedOnItsOwn)
      return [{ category: "probe_failure", title: `${killedKind} probe failures after the process had already crashed${detail}`, confidence: 0.45, evidence, key: "events:probe" }];
    if (loading)
      return [
        {
          category: "probe_failure",
          title: `${killedKind === "startup" ? "Startup" : "Liveness"} probe killed the container while the model was still loading`,
          confidence: 0.92,
          evidence,
          variant: "slow_load",
          key: "events:probe",
        },
      ];
    return [{ category: "probe_failure", title: `Container restarted after failing its ${killedKind} probe${detail}`, confidence: 0.85, evidence, key: "events:probe" }];
  }
  if (kills.length > 0)
    return [{ category: "probe_failure", title: `${kills[0]?.kind ?? "liveness"} probe failing${detail}`, confidence: 0.6, evidence, key: "events:probe" }];
  return [
    {
      category: "probe_failure",
      title: current.loadingAtEnd ? "Readiness probe failing while the model is still loading" : `Readiness probe failing${detail}`,
      confidence: current.loadingAtEnd ? 0.5 : 0.55,
      evidence,
      variant: current.loadingAtEnd ? "slow_load" : "readiness",
      key: "events:probe",
    },
  ];
}

function cpuFindings(bundle: EvidenceBundle, pod: PodView | undefined, facts: PodFacts): Finding[] {
  const name = bundle.alert.labels.alertname ?? "";
  const notes = Object.values(bundle.alert.annotations).join(" ");
  const alertSaysCpu = (/cpu/i.test(name) && /throttl|usage|high|saturat|limit/i.test(name)) || /throttl/i.test(notes);
  if (!alertSaysCpu) return [];
  const limits = limitsEvidence(pod, facts.target);
  const cpuLimited = !!limits && /"cpu":/.test(limits.text);
  const pct = /([\d.]+)% throttling/.exec(notes)?.[1];
  return [
    {
      category: "cpu_throttling",
      title: `CPU ${pct ? `throttled ${pct}% of the time` : "saturated"} (alert ${clip(name, 60)})${cpuLimited ? "" : "; no CPU limit found in the pod spec"}`,
      confidence: cpuLimited ? 0.7 : 0.55,
      evidence: limits && cpuLimited ? [limits] : [],
      key: "alert:cpu",
    },
  ];
}

function alertSaysMemory(bundle: EvidenceBundle): boolean {
  return /memory|oom/i.test(`${bundle.alert.labels.alertname ?? ""} ${Object.values(bundle.alert.annotations).join(" ")}`);
}

/**
 * Deterministic, offline detection of failure signatures in an evidence bundle: pod status,
 * events, current and previous logs, and the metrics reading. Each signal quotes its evidence verbatim (see statusText
 * for status quotes) and cites 1-based log lines. Linear in the size of the logs.
 */
export function detectSignals(bundle: EvidenceBundle): Signal[] {
  const pod = viewPod(bundle.pod);
  const events = viewEvents(bundle.events);
  const { findings: statusFindings, facts } = analyzeStatus(bundle, pod, events);
  const eventFindings = analyzeEvents(events, facts);
  const previous = scanLog(bundle.previousLogs, "previousLogs", true);
  const logsAreCrash = !facts.hasPod || !facts.hasTargetStatus || facts.currentTerminated || (facts.crashLooping && previous.lineCount === 0);
  const current = scanLog(bundle.logs, "logs", logsAreCrash);
  const crash = previous.lineCount > 0 ? previous : logsAreCrash ? current : undefined;

  const findings: Finding[] = [
    ...statusFindings,
    ...eventFindings,
    ...previous.findings,
    ...current.findings,
    ...probeFindings(facts, crash, current),
    ...cpuFindings(bundle, pod, facts),
    ...metricFindings(bundle, facts.target),
    ...healthFindings(servingHealth(bundle), alertSaysMemory(bundle)),
  ];

  const killedFromOutside = findings.some((f) => (f.category === "probe_failure" || f.category === "evicted") && f.confidence >= 0.8);
  for (const f of findings) {
    // A probe kill or an eviction is a SIGKILL/SIGTERM too; the exit code then says nothing about memory.
    if (killedFromOutside && (f.key.endsWith(":137") || f.key.endsWith(":143"))) f.confidence = Math.min(f.confidence, 0.3);
    // A pod that cannot start now is not explained by what older containers logged.
    if (facts.blocked && (f.key.startsWith("logs:") || f.key.startsWith("previousLogs:") || f.key === "events:probe"))
      f.confidence = Math.min(f.confidence * 0.6, 0.55);
  }

  findings.push(...contextFindings(bundle, findings));

  const ctx = suggestionContext(bundle, pod, facts);
  const rank = (c: SignalCategory) => CATEGORY_ORDER.indexOf(c);
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => b.f.confidence - a.f.confidence || rank(a.f.category) - rank(b.f.category) || a.i - b.i)
    .map(({ f }) => ({
      category: f.category,
      title: f.title,
      confidence: Math.round(f.confidence * 100) / 100,
      evidence: f.evidence,
      suggestion: suggestionFor(f.category, f.variant, ctx),
    }));
}
