import type { EvidenceBundle } from "@/lib/cluster/bundle";
import {
  reportSchema,
  type Action,
  type Report,
  type ReportEvidence,
  type Signal,
  type SignalCategory,
} from "@/lib/analysis/types";
import { groundReport } from "@/lib/analysis/grounding";
import { summarizePodStatus } from "@/lib/analysis/pod-summary";
import type { Diagnosis } from "@/lib/analysis/offline/diagnose";
import { viewPod, type PodView } from "@/lib/cluster/view";
import { isK8sName } from "@/lib/analysis/prompt";
import { bundleMetricsReading } from "@/lib/analysis/metrics-summary";
import { metricActions } from "@/lib/analysis/offline/metric-actions";
import { withFilingVerdict } from "@/lib/analysis/filing";
import { readReplicas, replicaLine, rollbackRevisions, workloadRef } from "@/lib/analysis/context";
import { selectorOf, selectorString, summarizePod } from "@/lib/cluster/workload-view";
import { healthSentence, isDegraded, servingHealth, NEAR_LIMIT_TITLE } from "@/lib/analysis/offline/log-health";
import { isProgressLine, stripPrefix } from "@/lib/analysis/offline/text";
import { pastIncidentLine, type SimilarIncident } from "@/lib/analysis/similar";
import type { PastIncidentVerdict } from "@/lib/analysis/types";

/**
 * The offline report: the deterministic diagnosis as a Report, in the analyzer's own prose (what each
 * failure means, what to do now, how to prevent it). Rendering it is lib/analysis/report-markdown's job.
 */

const EXPLANATION: Record<SignalCategory, string> = {
  oom_killed: "The kernel killed the container for using more memory than its limit (exit code 137, reason OOMKilled); the kubelet then restarts it, and repeated kills become CrashLoopBackOff.",
  app_crash: "The server process exited with an error, so the container restarts; the last lines of the previous container's logs usually name the cause.",
  gpu_oom: "The model ran out of GPU memory while loading weights or allocating the KV cache / activations, which the batch size, sequence length and GPU memory fraction determine.",
  model_load_failure: "The server could not load the model (missing or private weights, a wrong path or revision, an unsupported format), so it exits before serving.",
  image_pull: "The kubelet cannot pull the container image (wrong tag, missing credentials or an unreachable registry), so the container never starts.",
  probe_failure: "A liveness, readiness or startup probe fails; a failing liveness probe restarts the container, which for slow model loads means it never finishes loading.",
  unschedulable: "The scheduler finds no node that satisfies the pod's requests (often nvidia.com/gpu), taints or affinity, so the pod stays Pending.",
  config_error: "The container cannot be created or started because of its configuration (a missing Secret, ConfigMap or key, a bad command or arguments).",
  evicted: "The kubelet evicted the pod under node pressure (memory, disk or ephemeral storage) or it was preempted.",
  cpu_throttling: "The container hits its CPU limit and is throttled, which raises inference latency and can make probes time out.",
  memory_leak: "The container's memory keeps growing while its traffic does not (something is kept and never freed: a cache without a bound, per-session state, a leak), so it will reach its limit and be OOM-killed.",
  load_surge: "More traffic reached the pod and its usage grew with it (memory, CPU, the request queue): the pod is undersized for the load, not broken.",
  dependency_unreachable: "The server cannot reach a service it depends on (model store, database, feature store, DNS), so requests or start-up fail.",
  bad_rollout: "The failure began shortly after the workload's newest revision rolled out, and what that revision changed (image, model, flags, resources) can cause exactly this failure; rolling back to the revision before it is the fastest way to restore service.",
  node_pressure: "The node the pod runs on is short of memory, disk or process IDs (or not Ready): the kubelet evicts or starves pods there, so pods on other nodes of the same owner keep working.",
  overload: "The server is receiving more requests than it can serve: it queues them past its limit, sheds them with 5xx answers, or answers slower than its latency objective, while the pod itself stays Running.",
  unknown: "The offline analyzer found this signal but cannot tie it to a known failure pattern.",
};

const PREVENTION: Record<SignalCategory, string[]> = {
  oom_killed: [
    "Size memory requests and limits from measured peak usage (weights, KV cache, batch) with headroom, and load-test each new model version before rollout.",
    "Alert when the working set passes 90% of the memory limit, before the kernel kills the container.",
  ],
  gpu_oom: [
    "Load-test the maximum batch size and max_model_len on the target GPU type, and pin gpu_memory_utilization with headroom in the deployment.",
    "Alert on GPU memory use (DCGM exporter) per model pod.",
  ],
  model_load_failure: [
    "Pin model artifacts to an immutable version or revision and check they load in CI before rollout.",
    "Roll out model versions with a canary and automatic rollback on failed readiness.",
  ],
  app_crash: ["Roll out new versions progressively (canary) so a crashing build reaches few pods, and keep the previous version ready to roll back."],
  image_pull: [
    "Pin images by digest, keep them in a registry the cluster can always reach, and check imagePullSecrets in CI.",
  ],
  probe_failure: [
    "Add a startupProbe sized to the worst-case model load time so liveness does not kill a loading pod.",
    "Make readiness reflect the model being loaded and liveness only that the process responds.",
  ],
  unschedulable: [
    "Keep GPU capacity headroom (a GPU node pool with autoscaling) and alert on Pending model pods.",
    "Review requests, taints, tolerations and affinity of GPU workloads when node pools change.",
  ],
  config_error: ["Validate manifests, Secrets and ConfigMaps in CI (kubeconform, a dry-run apply) before they reach the cluster."],
  evicted: [
    "Set requests close to real usage (Guaranteed QoS for model servers) and limit ephemeral storage use such as model caches on the node disk.",
  ],
  cpu_throttling: ["Size CPU requests and limits from load tests, or drop the CPU limit for latency-critical model servers and keep the request."],
  memory_leak: [
    "Give every in-process cache a bound (entries or sessions, a TTL, eviction) and alert on the working set's growth rate, not only its level.",
    "Soak-test each release for memory growth under steady traffic before it reaches production.",
  ],
  load_surge: [
    "Autoscale on the model server's queue (requests waiting) or concurrency, not CPU alone, and size limits for the peak with headroom.",
    "Cap concurrency per pod (max_num_seqs, max-concurrent-requests, max_batch_size) so a surge queues instead of exhausting memory.",
  ],
  dependency_unreachable: ["Add retries with backoff and a readiness check for required dependencies, and alert on the dependency itself."],
  bad_rollout: [
    "Roll out model-serving changes progressively (a canary or maxUnavailable 0 with a readiness gate that loads the model) so a bad revision stops before it reaches every replica.",
    "Record a change-cause on every rollout (kubernetes.io/change-cause) so the rollout history says what each revision changed.",
  ],
  node_pressure: ["Set memory and ephemeral-storage requests that match real usage, so the scheduler does not pack a node past what it holds, and alert on node pressure conditions."],
  overload: [
    "Scale on a serving signal (queue length, in-flight requests) with headroom, and keep the autoscaler's maximum above the expected peak.",
    "Load-test each model version for the throughput one replica sustains at the latency objective.",
  ],
  unknown: [],
};

/** Failures a rollout can cause, so rolling back is a sensible first move. */
/** Failures a rollout can cause, so rolling back is a sensible first move. */
const ROLLBACK_CATEGORIES: SignalCategory[] = ["oom_killed", "memory_leak", "gpu_oom", "model_load_failure", "app_crash", "image_pull", "config_error"];

const GENERAL_PREVENTION = "Keep this incident's evidence with the issue and add a detection rule for this failure so the next one is diagnosed automatically.";

/** kubectl verbs that change the cluster: never offered paste-ready for a cause that is not likely. */
const CHANGING = /\bkubectl\b.*?\s(?:rollout undo|rollout restart|set \w+|scale|patch|delete|drain|cordon|uncordon|apply|edit|create|label|annotate|taint|replace)\b/;

function likelihood(confidence: number): "high" | "medium" | "low" {
  return confidence >= 0.75 ? "high" : confidence >= 0.45 ? "medium" : "low";
}

interface Names {
  ns?: string;
  pod?: string;
  container?: string;
  /** "deployment/x" or "statefulset/x" when the owner is known. */
  workload?: string;
}

function namesOf(bundle: EvidenceBundle, pod: PodView | undefined): Names {
  const l = bundle.alert.labels;
  const pick = (...c: (string | undefined)[]) => c.find((v) => isK8sName(v));
  const ns = pick(bundle.target?.namespace, pod?.metadata?.namespace, l.namespace);
  const podName = pick(bundle.target?.pod, pod?.metadata?.name, l.pod);
  const failing = pod?.status?.containerStatuses?.find((c) => !c.ready)?.name;
  const container = pick(bundle.container, bundle.target?.container, l.container, failing, pod?.spec?.containers?.[0]?.name);
  return { ns, pod: podName, container, workload: gatheredWorkload(bundle) ?? ownerWorkload(pod) };
}

/** The owner the gatherer read, as kubectl names it ("deployment/x"), when its name is safe to repeat. */
function gatheredWorkload(bundle: EvidenceBundle): string | undefined {
  const ref = workloadRef(bundle);
  return ref && isK8sName(ref.split("/")[1]) ? ref : undefined;
}

/** The owner the pod's ownerReferences imply (a Deployment's ReplicaSet is named <deployment>-<pod-template-hash>). */
function ownerWorkload(pod: PodView | undefined): string | undefined {
  const owner = pod?.metadata?.ownerReferences?.find((o) => o.controller !== false);
  const hash = pod?.metadata?.labels?.["pod-template-hash"];
  if (owner?.kind === "ReplicaSet" && owner.name && hash && owner.name.endsWith(`-${hash}`)) {
    const d = owner.name.slice(0, -hash.length - 1);
    return isK8sName(d) ? `deployment/${d}` : undefined;
  }
  return owner?.kind === "StatefulSet" && isK8sName(owner.name) ? `statefulset/${owner.name}` : undefined;
}

/** "Pod ns/x no longer exists …": the verdict for an alert whose pod is gone, naming the owner's current pods. */
function goneVerdict(bundle: EvidenceBundle, n: Names): string | undefined {
  const gone = bundle.gonePod ?? (bundle.pod === null ? { namespace: n.ns, pod: n.pod } : undefined);
  if (!gone) return undefined;
  const id = `${gone.namespace ?? "<namespace>"}/${gone.pod ?? "<pod>"}`;
  const owner = workloadRef(bundle);
  const pods = (bundle.siblings ?? []).map(summarizePod);
  const list = pods
    .slice(0, 6)
    .map((p) => `${p.name} (${p.phase ?? "?"}${p.ready ? ", ready" : ", not ready"}${p.restarts ? `, ${p.restarts} restarts` : ""})`)
    .join(", ");
  const current = pods.length ? ` Its owner ${owner ?? ""} has ${pods.length} pod${pods.length === 1 ? "" : "s"} now: ${list}${pods.length > 6 ? ", …" : ""}.`.replace("owner  has", "owner has") : owner ? ` Its owner ${owner} has no pods now.` : " Its owner could not be determined, so no current pod could be analyzed.";
  const analyzed = bundle.gonePod && n.pod ? ` The evidence below is from ${n.ns ?? gone.namespace ?? ""}/${n.pod}, the newest of them.` : "";
  return `Pod ${id} no longer exists: it was deleted or replaced${owner ? ` by its ${owner.split("/")[0]}` : ""}, or the alert names a pod that never existed.${current}${analyzed}`;
}

function podState(pod: PodView | undefined, n: Names, degraded: boolean): string {
  const id = `${n.ns ?? "<namespace>"}/${n.pod ?? "<pod>"}`;
  if (!pod) return `Pod ${id} was not found when the evidence was gathered, so it is not serving requests.`;
  const st = pod.status;
  const cs = st?.containerStatuses ?? [];
  const restarts = cs.reduce((a, c) => a + (c.restartCount ?? 0), 0);
  const notReady = cs.filter((c) => c.ready === false);
  const facts: string[] = [];
  if (st?.phase && st.phase !== "Running") facts.push(`phase ${st.phase}`);
  if (st?.reason) facts.push(st.reason);
  if (restarts) facts.push(`${restarts} restart${restarts === 1 ? "" : "s"}`);
  for (const c of cs) {
    if (c.state?.waiting?.reason) facts.push(`${c.name ?? "container"} ${c.state.waiting.reason}`);
    const t = c.lastState?.terminated ?? c.state?.terminated;
    if (t?.reason) facts.push(`${c.name ?? "container"} last terminated ${t.reason}${t.exitCode !== undefined ? ` (exit code ${t.exitCode})` : ""}`);
  }
  const serving = notReady.length === 0 && cs.length > 0 && st?.phase === "Running";
  // Ready only means the probe passes: a server that sheds load or breaks its latency objective is not serving well.
  const state = serving ? (degraded ? "is up and passes its readiness probe, but is not serving its traffic well" : "is Running and Ready") : "is not serving";
  return `Pod ${id} ${state}${facts.length ? `: ${facts.join(", ")}` : ""}.`;
}

function impactOf(bundle: EvidenceBundle, pod: PodView | undefined, n: Names): string {
  const l = bundle.alert.labels;
  const health = servingHealth(bundle);
  const parts = [podState(pod, n, isDegraded(health))];
  const said = healthSentence(health);
  if (said) parts.push(said);
  if (l.alertname) parts.push(`Alert ${l.alertname}${l.severity ? ` (${l.severity})` : ""} is firing${bundle.alert.startsAt ? ` since ${bundle.alert.startsAt}` : ""}.`);
  if (l.model) parts.push(`Model ${l.model}${l.model_version ? ` version ${l.model_version}` : ""} is served by this pod.`);
  const replicas = replicaLine(bundle);
  if (replicas) parts.push(`${replicas.replace(/^replicas: /, "Replicas: ")}.`);
  if (!pod || pod.status?.containerStatuses?.some((c) => c.ready === false)) {
    parts.push("A pod that is not Ready gets no traffic from its Service: the model endpoint runs with less capacity, or is down if this is its only replica.");
  }
  const reading = bundleMetricsReading(bundle);
  const load = reading?.findings.filter((f) => f.kind === "level" && (f.id === "requests_waiting" || f.id === "request_rate" || f.id === "request_errors")).map((f) => f.line);
  if (load?.length) parts.push(`Serving load: ${load.slice(0, 3).join("; ")}.`);
  const missing = bundle.errors.map((e) => `${e.part} (${e.message})`);
  if (missing.length) parts.push(`Evidence missing: ${missing.join("; ")}.`);
  return parts.join(" ").slice(0, 4000);
}

function kubectlCommands(text: string): string[] {
  return [...text.matchAll(/`(kubectl [^`]+)`/g)].map((m) => m[1] ?? "").filter(Boolean);
}

function memoryBump(limit: string | number | undefined): string | undefined {
  const m = typeof limit === "string" ? limit.match(/^(\d+(?:\.\d+)?)(Gi|Mi)$/) : undefined;
  if (!m) return undefined;
  const v = Number(m[1]) * 1.5;
  return `${m[2] === "Gi" ? Math.ceil(v) : Math.ceil(v / 256) * 256}${m[2]}`;
}

/** The fix steps a likely hypothesis of this category gets beside its suggestion. */
function fixesFor(s: Signal, top: Signal[], pod: PodView | undefined, n: Names, bundle: EvidenceBundle): Action[] {
  const ns = n.ns ?? "<namespace>";
  const c = n.container ?? "<container>";
  const w = n.workload ?? "deployment/<name>";
  const out: Action[] = [];
  // Sized from the metrics when the bundle has them (peak plus headroom, the server's own settings, scale-out).
  const sized = metricActions(bundle, new Set([s.category]), { ns, pod: n.pod ?? "<pod>", container: c, workload: w });
  out.push(...sized.actions);
  if (s.category === "oom_killed" && !sized.memorySized) {
    const spec = pod?.spec?.containers?.find((x) => x.name === n.container);
    const next = memoryBump(spec?.resources?.limits?.memory);
    out.push({
      step: next ? `Raise the memory limit of ${c} from ${String(spec?.resources?.limits?.memory)} to ${next} (and the request with it).` : `Raise the memory limit of ${c}.`,
      command: `kubectl -n ${ns} set resources ${w} -c ${c} --limits=memory=${next ?? "<new limit>"} --requests=memory=${next ?? "<new request>"}`,
    });
  }
  // A bad_rollout hypothesis already names the revision to go back to; without one, a rollout is only a possibility.
  if (ROLLBACK_CATEGORIES.includes(s.category) && !top.some((h) => h.category === "bad_rollout") && s === top.find((h) => ROLLBACK_CATEGORIES.includes(h.category))) {
    const { previous } = rollbackRevisions(bundle);
    out.push({
      step: "If this started with a rollout (a new model version or image), roll back to the last working revision.",
      command: `kubectl -n ${ns} rollout history ${w}\nkubectl -n ${ns} rollout undo ${w}${previous !== undefined ? ` --to-revision=${previous}` : ""}`,
    });
  }
  return out;
}

/**
 * Steps that apply whatever the cause, then each hypothesis's own steps, tagged with it. A likely
 * hypothesis gets its fix with commands; an unlikely one gets a conditional step ("If …, then …") with
 * only commands that check, never one that changes the cluster.
 */
function actionsOf(top: Signal[], bundle: EvidenceBundle, pod: PodView | undefined, n: Names): Action[] {
  const ns = n.ns ?? "<namespace>";
  const p = n.pod ?? "<pod>";
  const c = n.container ?? "<container>";
  const actions: Action[] = [];
  if (pod || bundle.pod === undefined) actions.push({ step: "Confirm the pod's state, last termination and recent events.", command: `kubectl -n ${ns} describe pod ${p}` });
  const restarted = pod?.status?.containerStatuses?.some((s) => (s.restartCount ?? 0) > 0);
  if (pod && (bundle.previousLogs !== undefined || restarted)) {
    actions.push({ step: "Read the crashed container's last logs.", command: `kubectl -n ${ns} logs ${p} -c ${c} --previous --tail=200` });
  }
  const seen = new Set(actions.map((a) => a.command));
  top.forEach((s, i) => {
    const hypothesis = i + 1;
    const low = likelihood(s.confidence) === "low" || s.category === "unknown";
    const cmds = kubectlCommands(s.suggestion).filter((x) => !seen.has(x));
    const prose = s.suggestion.replace(/`([^`]*)`/g, "$1");
    if (low) {
      const checks = cmds.filter((x) => !CHANGING.test(x));
      checks.forEach((x) => seen.add(x));
      const step = s.category === "unknown" ? prose : `If further checks confirm "${s.title}" (low likelihood), then: ${prose}`;
      actions.push({ step, command: checks.length ? checks.join("\n") : undefined, hypothesis });
      return;
    }
    cmds.forEach((x) => seen.add(x));
    actions.push({ step: prose, command: cmds.length ? cmds.join("\n") : undefined, hypothesis });
    for (const fix of fixesFor(s, top, pod, n, bundle)) {
      if (fix.command && seen.has(fix.command)) continue;
      if (fix.command) seen.add(fix.command);
      actions.push({ ...fix, hypothesis });
    }
  });
  if (!top.length) {
    actions.push({ step: "Check the events of the pod's namespace for related failures.", command: `kubectl -n ${ns} get events --sort-by=.lastTimestamp` });
  }
  if (!pod && bundle.pod === null) {
    const selector = bundle.workload ? selectorString(selectorOf(bundle.workload.object)) : undefined;
    actions.push({
      step: "List the pods that serve now and analyze one of them (the alert may name a pod that was replaced, or mistype one).",
      command: `kubectl -n ${ns} get pods${selector ? ` -l '${selector.replace(/'/g, "")}'` : ""} -o wide`,
    });
  }
  return actions.slice(0, 20).map((a) => ({ ...a, step: a.step.slice(0, 2000), command: a.command?.slice(0, 2000) }));
}

/** A quote's message without its timestamp and logger prefix, for "is this the same line again". */
function messageOf(text: string): string {
  return stripPrefix(text).text.replace(/\s+/g, " ").trim();
}

/** Evidence cited once each (the same message in current and previous logs is one quote), never a progress bar. */
function evidenceOf(s: Signal, cited: Set<string>): ReportEvidence[] {
  const out: ReportEvidence[] = [];
  const own = new Set<string>();
  for (const e of s.evidence) {
    const key = messageOf(e.text);
    if (own.has(key) || isProgressLine(e.text)) continue;
    own.add(key);
    out.push({ source: e.source, line: e.line, text: e.text.slice(0, 2000), verified: true });
  }
  // Quotes a higher-ranked hypothesis already cited are left out, as long as something of this one's own remains.
  const fresh = out.filter((e) => !cited.has(messageOf(e.text)));
  const kept = fresh.length > 0 ? fresh : out;
  for (const e of kept) cited.add(messageOf(e.text));
  return kept.slice(0, 20);
}

function explanationOf(s: Signal): string {
  if (s.category === "oom_killed" && s.title.startsWith(NEAR_LIMIT_TITLE)) {
    return "The server itself warns that its memory is close to the container's limit. Nothing has been killed yet, but when usage reaches the limit the kernel OOM-kills the container and it restarts.";
  }
  return EXPLANATION[s.category];
}

/** The offline diagnosis as a Report, labelled with why Gemini was not used; quotes are grounded. */
/**
 * The offline verdict on earlier incidents with the same signature, stated plainly: the same failure was
 * seen before; its recorded fix applies (same signature: same cause and the same proof lines), and without
 * a recorded fix there is nothing to apply, only the history.
 */
export function pastIncidentVerdicts(matches: readonly SimilarIncident[]): PastIncidentVerdict[] {
  return matches.slice(0, 5).map((m) => ({
    analysisId: m.analysisId.slice(0, 64),
    applies: !!m.resolution?.fix,
    note: `Same failure signature seen ${pastIncidentLine(m, 900)}${m.resolution?.fix ? "." : "; no fix was recorded."}`,
  }));
}

export function offlineReport(diagnosis: Diagnosis, reason: string | undefined, bundle: EvidenceBundle, pastIncidents: readonly SimilarIncident[] = []): Report {
  const pod = viewPod(bundle.pod);
  const n = namesOf(bundle, pod);
  const top = (diagnosis.hypotheses.length ? diagnosis.hypotheses : diagnosis.signals).slice(0, 3);
  const first = top[0];
  const health = servingHealth(bundle);
  const state = podState(pod, n, isDegraded(health));
  const gone = goneVerdict(bundle, n);
  const reading = readReplicas(bundle) && replicaLine(bundle);
  const found = first && first.category !== "unknown";
  const cause = first
    ? `${first.title}. ${state}${reading ? ` ${reading.replace(/^replicas: /, "")}.` : ""}${top.length > 1 ? ` ${top.length - 1} other possible cause${top.length > 2 ? "s" : ""} below.` : ""}`
    : `The offline analyzer found no known failure pattern in the gathered evidence. ${state}`;
  const summary = gone ? `${gone} ${found || bundle.gonePod ? cause : ""}`.trim() : cause;
  const prevention = [...new Set([...top.flatMap((s) => PREVENTION[s.category]), GENERAL_PREVENTION])].slice(0, 20);
  const cited = new Set<string>();
  const hypotheses = gone && !found && !bundle.gonePod ? [] : top;
  const report = reportSchema.parse({
    source: "offline",
    model: null,
    offlineReason: reason,
    summary: summary.slice(0, 4000),
    hypotheses: hypotheses.map((s) => ({
      title: s.title.slice(0, 300),
      category: s.category,
      likelihood: likelihood(s.confidence),
      explanation: explanationOf(s),
      evidence: evidenceOf(s, cited),
    })),
    impact: impactOf(bundle, pod, n),
    immediateActions: actionsOf(hypotheses, bundle, pod, n),
    prevention,
    insufficientEvidence: top.every((s) => s.category === "unknown"),
    ...(bundle.gonePod && n.pod ? { analyzedPod: { namespace: n.ns ?? bundle.gonePod.namespace, pod: n.pod, alertPod: bundle.gonePod.pod } } : {}),
    ...(pastIncidents.length ? { pastIncidents: pastIncidentVerdicts(pastIncidents) } : {}),
    generatedAt: new Date().toISOString(),
  });
  return withFilingVerdict(groundReport(report, bundle, { statusSummary: summarizePodStatus(bundle.pod) }), bundle);
}
