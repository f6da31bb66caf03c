import type { EvidenceBundle } from "@/lib/cluster/bundle";
import type { SignalCategory, SignalEvidence } from "@/lib/analysis/types";
import type { RevisionChange } from "@/lib/cluster/revision-diff";
import { changesLines, neighbourhoodLines, readNode, readReplicas, replicaLine, workloadDiff, type ReplicaReading } from "@/lib/analysis/context";
import type { Finding } from "./log-signals";
import { clip } from "./text";

/**
 * Signals from what changed and who else is hurting: `bad_rollout` when the newest revision rolled out
 * shortly before the alert and what it changed fits the failure seen; `node_pressure` from the node's
 * conditions and failing pods sharing it; and the replica reading ("1 of 4" or "4 of 4") that moves
 * confidence between causes local to one pod and causes every replica shares. Evidence quotes the
 * `changes` and `neighbourhood` summary lines (lib/analysis/context), so grounding verifies it.
 */

/** A rollout further back than this before the alert is not "soon before" it. */
export const ROLLOUT_WINDOW_MINUTES = 180;
/** A rollout this long after the alert started is a reaction to it, not its cause. */
const AFTER_ALERT_TOLERANCE_MINUTES = 5;

/** Causes every replica shares (a rollout, a dependency, the model store) versus causes of one pod or node. */
const SHARED: ReadonlySet<SignalCategory> = new Set(["bad_rollout", "dependency_unreachable", "model_load_failure", "config_error", "image_pull", "overload"]);
const LOCAL: ReadonlySet<SignalCategory> = new Set(["node_pressure", "evicted"]);

const UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, K: 1e3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, m: 1e-3 };

/** A quantity or flag value as a number ("24Gi", "500m", "32768", "0.9"); undefined when not numeric. */
export function numeric(v: string | undefined): number | undefined {
  const m = v === undefined ? null : /^(\d+(?:\.\d+)?)([KMGT]i?|k|m)?$/.exec(v.trim());
  if (!m) return undefined;
  return Number(m[1]) * (m[2] ? (UNITS[m[2]] ?? 1) : 1);
}

const direction = (c: RevisionChange): "up" | "down" | undefined => {
  const a = numeric(c.before);
  const b = numeric(c.after);
  if (a === undefined || b === undefined || a === b) return undefined;
  return b > a ? "up" : "down";
};

/** Settings whose increase needs more (GPU or host) memory, across vLLM, TGI, Triton and generic servers. */
const MEMORY_HUNGRY = /^(?:--?)?(?:max[-_]model[-_]len|max[-_]num[-_]seqs|max[-_]num[-_]batched[-_]tokens|gpu[-_]memory[-_]utilization|max[-_]total[-_]tokens|max[-_]batch[-_]total[-_]tokens|max[-_]batch[-_]prefill[-_]tokens|max[-_]input[-_](?:length|tokens)|max[-_]concurrent[-_]requests|max[-_]batch[-_]size|batch[-_]size|workers|num[-_]workers|swap[-_]space)$|^env (?:\w*_)?(?:BATCH_SIZE|MAX_BATCH_SIZE|MAX_MODEL_LEN|WORKERS|MAX_SEQ_LEN|CONTEXT_LENGTH)$/i;

interface Fit {
  change: RevisionChange;
  strong: boolean;
}

/** Changes that only alter what the process reports about itself (log level, tracing): they explain no failure. */
const BENIGN = /^(?:env |--?)(?:LOG_LEVEL|LOGLEVEL|LOG_FORMAT|LOGGING_LEVEL|DEBUG|VERBOSE|OTEL_\w+|SENTRY_\w+|DD_\w+|log[-_]level|uvicorn[-_]log[-_]level|disable[-_]log[-_]\w+)$/i;

/** Whether one change can explain a failure of this category, and how directly. */
function fits(category: SignalCategory, c: RevisionChange): Fit | undefined {
  if (BENIGN.test(c.field)) return undefined;
  const dir = direction(c);
  const field = c.field;
  const memoryLimitDown = c.category === "resources" && /^memory limit$/.test(field) && dir === "down";
  const gpuDown = c.category === "resources" && /nvidia\.com\/gpu limit|amd\.com\/gpu limit/.test(field) && dir === "down";
  const hungrier = (c.category === "args" || c.category === "model" || c.category === "env") && MEMORY_HUNGRY.test(field) && dir === "up";
  const weak = c.category === "image" || c.category === "model";
  switch (category) {
    case "oom_killed":
      if (memoryLimitDown || hungrier) return { change: c, strong: true };
      return weak ? { change: c, strong: false } : undefined;
    case "gpu_oom":
      if (gpuDown || hungrier || (/tensor[-_]parallel[-_]size|^--?num[-_]shard$/.test(field) && dir === "down")) return { change: c, strong: true };
      return weak ? { change: c, strong: false } : undefined;
    case "app_crash":
      if (c.category === "image") return { change: c, strong: true };
      return c.category === "args" || c.category === "env" || c.category === "model" || c.category === "containers" ? { change: c, strong: false } : undefined;
    case "config_error":
      if (c.category === "args" || c.category === "env" || c.category === "volumes" || c.category === "containers") return { change: c, strong: true };
      return c.category === "image" ? { change: c, strong: false } : undefined;
    case "model_load_failure":
      if (c.category === "model") return { change: c, strong: true };
      return c.category === "image" || c.category === "env" || c.category === "volumes" ? { change: c, strong: false } : undefined;
    case "image_pull":
      return c.category === "image" ? { change: c, strong: true } : undefined;
    case "probe_failure":
      if (c.category === "probes") return { change: c, strong: true };
      return weak ? { change: c, strong: false } : undefined;
    case "unschedulable":
      if ((c.category === "resources" && /request$/.test(field) && dir === "up") || c.category === "scheduling") return { change: c, strong: true };
      return undefined;
    case "cpu_throttling":
      return c.category === "resources" && field === "cpu limit" && dir === "down" ? { change: c, strong: true } : undefined;
    case "overload":
      if ((c.category === "args" || c.category === "env") && /max[-_]num[-_]seqs|max[-_]concurrent|workers|max[-_]batch/.test(field) && dir === "down") return { change: c, strong: true };
      return weak ? { change: c, strong: false } : undefined;
    default:
      return undefined;
  }
}

/** The failure each category names, for titles. */
const FAILURE_NOUN: Partial<Record<SignalCategory, string>> = {
  oom_killed: "the memory kills",
  gpu_oom: "the GPU out-of-memory errors",
  app_crash: "the crashes",
  config_error: "the configuration errors",
  model_load_failure: "the model load failures",
  image_pull: "the image pull failures",
  probe_failure: "the probe failures",
  unschedulable: "the scheduling failures",
  cpu_throttling: "the CPU throttling",
  overload: "the overload",
};

/** The summary line that shows one change (the diff writes "container: change"). */
function changeLine(lines: string[], c: RevisionChange): string | undefined {
  const want = c.container ? `${c.container}: ${c.text}` : c.text;
  return lines.find((l) => l === want);
}

/** Whether the failing pods are exactly the ones on the newest revision (a rollout caught half-way). */
function failingOnNewestOnly(r: ReplicaReading | undefined, newest: number | undefined): boolean {
  if (!r || newest === undefined || r.failing.length === 0 || r.failing.length === r.total) return false;
  const healthy = [...r.revisionOf.entries()].filter(([name]) => !r.failing.some((p) => p.name === name));
  return r.failing.every((p) => r.revisionOf.get(p.name) === newest) && healthy.length > 0 && healthy.every(([, rev]) => rev !== newest);
}

function rolloutFinding(bundle: EvidenceBundle, findings: Finding[], replicas: ReplicaReading | undefined): Finding | undefined {
  const diff = workloadDiff(bundle);
  if (!diff || !diff.previous || diff.changes.length === 0) return undefined;
  const minutes = diff.minutesBeforeAlert;
  if (minutes !== undefined && (minutes > ROLLOUT_WINDOW_MINUTES || minutes < -AFTER_ALERT_TOLERANCE_MINUTES)) return undefined;
  // A failing pod still on an older revision was not made to fail by the newest one.
  const selfRevision = replicas?.self ? replicas.revisionOf.get(replicas.self.name) : undefined;
  if (selfRevision !== undefined && diff.current.revision !== undefined && selfRevision !== diff.current.revision) return undefined;

  const failures = findings.filter((f) => f.confidence >= 0.3 && f.category !== "bad_rollout").sort((a, b) => b.confidence - a.confidence);
  let best: { failure: Finding; fit: Fit } | undefined;
  for (const failure of failures) {
    for (const c of diff.changes) {
      const fit = fits(failure.category, c);
      if (fit && (!best || (fit.strong && !best.fit.strong))) best = { failure, fit };
    }
    if (best?.fit.strong) break;
  }
  const lines = changesLines(bundle);
  const headline = lines[0];
  if (!headline) return undefined;
  const evidence: SignalEvidence[] = [{ source: "changes", text: headline }];
  const rev = diff.current.revision !== undefined ? `revision ${diff.current.revision}` : diff.current.name;
  const when = minutes !== undefined ? ` ${minutes >= 0 ? `${Math.round(minutes)} min before the alert` : "as the alert started"}` : "";
  const newestOnly = failingOnNewestOnly(replicas, diff.current.revision);
  if (newestOnly) {
    const line = replicaLine(bundle);
    if (line) evidence.push({ source: "neighbourhood", text: line });
  }
  if (!best) {
    // Something rolled out, but nothing it changed explains what fails: worth a look, not a cause.
    return {
      category: "bad_rollout",
      title: `${rev} rolled out${when}, but its changes do not obviously explain the failure (${clip(diff.changes.map((c) => c.text).join(", "), 100)})`,
      confidence: newestOnly ? 0.45 : 0.25,
      evidence,
      key: "changes:rollout",
    };
  }
  const line = changeLine(lines, best.fit.change);
  if (line && line !== headline) evidence.push({ source: "changes", text: line });
  const [failureEvidence] = best.failure.evidence;
  if (failureEvidence) evidence.push(failureEvidence);
  const base = best.fit.strong ? Math.max(0.78, Math.min(0.97, best.failure.confidence + 0.02)) : 0.42;
  const recent = minutes !== undefined && minutes >= 0 && minutes <= 30 ? 0.03 : 0;
  return {
    category: "bad_rollout",
    title: `${rev}, rolled out${when}, fits ${FAILURE_NOUN[best.failure.category] ?? "the failure"}: ${clip(best.fit.change.text, 110)}`,
    confidence: Math.min(0.97, base + recent + (newestOnly ? 0.05 : 0)),
    evidence,
    key: "changes:rollout",
  };
}

function nodeFinding(bundle: EvidenceBundle, findings: Finding[], replicas: ReplicaReading | undefined): Finding | undefined {
  const node = readNode(bundle.node);
  if (!node) return undefined;
  const lines = neighbourhoodLines(bundle);
  const quote = (prefix: string) => lines.find((l) => l.startsWith(prefix));
  const failingHere = replicas?.failing.filter((p) => p.node === node.name) ?? [];
  const healthyElsewhere = replicas ? replicas.total - replicas.failing.length > 0 && replicas.failing.every((p) => p.node === node.name) : false;
  const evictedAt = Math.max(0, ...findings.filter((f) => f.category === "evicted").map((f) => f.confidence));
  const evicted = evictedAt >= 0.5;
  const here = quote(`failing pods on node ${node.name}:`);
  if (node.pressure.length > 0) {
    const evidence: SignalEvidence[] = node.pressure.flatMap((p) => {
      const l = quote(`node ${node.name}: ${p.text.slice(0, 40)}`);
      return l ? [{ source: "neighbourhood" as const, text: l }] : [];
    });
    if (here) evidence.push({ source: "neighbourhood", text: here });
    return {
      category: "node_pressure",
      title: `Node ${node.name} is under ${node.pressure.map((p) => p.type).join(" and ")}${failingHere.length > 1 ? `; ${failingHere.length} failing pods run there` : ""}`,
      // The eviction is what the pressure did: the pressure ranks just above it, as its cause.
      confidence: Math.min(0.97, Math.max(0.7 + (evicted ? 0.12 : 0) + (healthyElsewhere ? 0.08 : 0), evicted ? evictedAt + 0.01 : 0)),
      evidence,
      variant: node.pressure.some((p) => p.type === "DiskPressure") ? "disk" : node.pressure.some((p) => p.type === "PIDPressure") ? "pid" : "memory",
      key: "neighbourhood:pressure",
    };
  }
  if (node.ready === false) {
    const l = quote(`node ${node.name}: Ready=False`);
    return { category: "node_pressure", title: `Node ${node.name} is NotReady`, confidence: 0.75, evidence: l ? [{ source: "neighbourhood", text: l }] : [], variant: "not_ready", key: "neighbourhood:notready" };
  }
  if (failingHere.length >= 2 && healthyElsewhere && here) {
    return {
      category: "node_pressure",
      title: `The failing pods share node ${node.name}; the owner's pods elsewhere are healthy`,
      confidence: 0.5,
      evidence: [{ source: "neighbourhood", text: here }],
      key: "neighbourhood:shared-node",
    };
  }
  return undefined;
}

/**
 * The replica reading: one failing pod of several points at the pod or its node; every replica failing
 * points at what they share. Adjusts confidences in place and returns the reading's quote when it moved
 * anything.
 */
function applyReplicaReading(bundle: EvidenceBundle, findings: Finding[], replicas: ReplicaReading | undefined): void {
  if (!replicas || replicas.total < 2) return;
  const line = replicaLine(bundle);
  const all = replicas.failing.length === replicas.total;
  const one = replicas.failing.length === 1;
  if (!all && !one) return;
  const sameNode = all && new Set(replicas.failing.map((p) => p.node)).size === 1;
  for (const f of findings) {
    const shared = SHARED.has(f.category) && !(f.category === "bad_rollout" && f.evidence.some((e) => e.source === "neighbourhood"));
    let factor = 1;
    if (one && shared) factor = 0.85;
    else if (all && shared) factor = 1.08;
    else if (all && LOCAL.has(f.category) && !sameNode) factor = 0.7;
    if (factor === 1) continue;
    f.confidence = Math.min(0.97, f.confidence * factor);
    if (line && f.confidence >= 0.3 && !f.evidence.some((e) => e.text === line)) f.evidence = [...f.evidence, { source: "neighbourhood", text: line }];
  }
}

/** Findings from the changes and the neighbourhood; adjusts `findings` for the replica reading. */
export function contextFindings(bundle: EvidenceBundle, findings: Finding[]): Finding[] {
  const replicas = readReplicas(bundle);
  const out: Finding[] = [];
  const node = nodeFinding(bundle, findings, replicas);
  if (node) {
    out.push(node);
    // An eviction under node pressure is the pressure's symptom: it ranks below its cause, whatever corroborates it.
    if (node.key === "neighbourhood:pressure") for (const f of findings) if (f.category === "evicted") f.confidence = Math.min(f.confidence, node.confidence - 0.07);
  }
  const rollout = rolloutFinding(bundle, [...findings, ...out], replicas);
  if (rollout) out.push(rollout);
  applyReplicaReading(bundle, [...findings, ...out], replicas);
  return out;
}
