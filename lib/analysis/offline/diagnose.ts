import type { EvidenceBundle } from "@/lib/cluster/bundle";
import type { Signal, SignalEvidence } from "@/lib/analysis/types";
import { CATEGORY_ORDER, detectSignals, suggestionFor } from "@/lib/analysis/offline/signals";
import { isProgressLine, kv, splitLines, stripPrefix } from "@/lib/analysis/offline/text";
import { viewPod } from "@/lib/cluster/view";

/** The offline diagnosis: ranked hypotheses (at most 3, best first) and every signal behind them. */
export interface Diagnosis {
  hypotheses: Signal[];
  signals: Signal[];
}

/** Below this no signal is trusted as a cause on its own. */
const MIN_CONFIDENCE = 0.3;
const MAX_HYPOTHESES = 3;
const MAX_EVIDENCE = 8;

/**
 * The same message is one piece of evidence wherever it was logged: the kubelet serves a crash-looping
 * container's last output as both its current and previous logs, and a repeated line differs only in
 * its timestamp.
 */
function sameEvidence(a: SignalEvidence, b: SignalEvidence): boolean {
  const message = (e: SignalEvidence) => (e.source === "logs" || e.source === "previousLogs" ? stripPrefix(e.text).text.trim() : `${e.source}:${e.text}`);
  return message(a) === message(b);
}

/** One hypothesis per category: the strongest signal's title, all signals' evidence. */
function merge(group: Signal[]): Signal {
  const [best, ...rest] = group;
  if (!best) throw new Error("merge needs at least one signal");
  const evidence: SignalEvidence[] = [];
  for (const s of group) for (const e of s.evidence) if (!isProgressLine(e.text) && !evidence.some((x) => sameEvidence(x, e))) evidence.push(e);
  const sources = new Set(evidence.map((e) => e.source));
  // Independent sources agreeing (status and logs, events and logs) make the cause more certain.
  const corroboration = Math.min(0.04, 0.02 * (sources.size - 1));
  return {
    ...best,
    confidence: Math.round(Math.min(0.99, best.confidence + (rest.length > 0 ? corroboration : 0)) * 100) / 100,
    evidence: evidence.slice(0, MAX_EVIDENCE),
  };
}

function unknown(bundle: EvidenceBundle): Signal {
  const status = viewPod(bundle.pod)?.status;
  const phase = status?.phase;
  const containers = status?.containerStatuses.length ?? 0;
  const checked = [
    bundle.pod ? `pod status (phase ${phase ?? "unknown"}, ${containers} container(s))` : "no pod object",
    `${bundle.events.length} event(s)`,
    `${splitLines(bundle.logs).length} current log line(s)`,
    `${splitLines(bundle.previousLogs).length} previous log line(s)`,
    bundle.metrics ? `${bundle.metrics.series.length} metric series` : "no metrics",
  ];
  const missing = bundle.errors.map((e) => `${e.part}: ${e.message}`);
  return {
    category: "unknown",
    title: "No known failure signature found",
    confidence: 0.1,
    evidence: phase ? [{ source: "status", text: kv("phase", phase) }] : [],
    suggestion:
      `Checked ${checked.join(", ")} for OOM kills, exit codes, image pulls, probes, scheduling, config, evictions, ` +
      `CPU throttling, GPU memory, memory leaks, load surges, model loading, dependencies and stack traces; none matched.` +
      (missing.length ? ` Missing evidence: ${missing.join("; ")}.` : "") +
      ` ${suggestionFor("unknown", undefined, { namespace: bundle.target?.namespace, pod: bundle.target?.pod, container: bundle.container })}`,
  };
}

/**
 * Rank the signals of a bundle into at most three hypotheses, one per category, best first.
 * When nothing reaches a useful confidence the answer is a single low-confidence `unknown`.
 */
export function diagnose(bundle: EvidenceBundle): Diagnosis {
  const signals = detectSignals(bundle);
  const groups = new Map<string, Signal[]>();
  for (const s of signals) {
    const g = groups.get(s.category);
    if (g) g.push(s);
    else groups.set(s.category, [s]);
  }
  const rank = (s: Signal) => CATEGORY_ORDER.indexOf(s.category);
  const ranked = [...groups.values()]
    .map(merge)
    .filter((h) => h.confidence >= MIN_CONFIDENCE)
    .sort((a, b) => b.confidence - a.confidence || rank(a) - rank(b));
  const hypotheses = ranked.length > 0 ? ranked.slice(0, MAX_HYPOTHESES) : [unknown(bundle)];
  return { hypotheses, signals };
}
