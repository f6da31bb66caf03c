import type { EvidenceBundle } from "@/lib/cluster/bundle";
import type { SignalEvidence } from "@/lib/analysis/types";
import { LOG_RULES } from "./log-rules";
import type { Finding } from "./log-signals";
import type { SuggestionVariant } from "./suggestions";
import { clip, excerpt, kv } from "./text";
import { containerSpec, containerViews, type ContainerView, type EventRow, type PodView } from "@/lib/cluster/view";

/** What the pod's status and events say about the target container, for ranking the log findings. */
export interface PodFacts {
  hasPod: boolean;
  target?: string;
  /** The target has a container status (it was created at least once). */
  hasTargetStatus: boolean;
  currentTerminated: boolean;
  crashLooping: boolean;
  exitCode?: number;
  termReason?: string;
  restartCount: number;
  /** The pod cannot run now for a reason outside its code: image, config, scheduling, eviction. */
  blocked: boolean;
  scheduled: boolean;
  containerCreating: boolean;
  imageWaiting: boolean;
  configWaiting: boolean;
  probeKill?: { kind: string; evidence: SignalEvidence };
  probeFailures: { kind: string; count: number; message: string; evidence: SignalEvidence }[];
  /** The most specific image pull problem the events name. */
  pullDetail?: { variant: SuggestionVariant; title: string };
}

const IMAGE_WAITING = new Set(["ImagePullBackOff", "ErrImagePull", "ErrImageNeverPull", "InvalidImageName", "RegistryUnavailable"]);

const status = (text: string): SignalEvidence => ({ source: "status", text });

/** Classify a registry error: not found vs unauthorized vs rate-limited. */
export function classifyPull(message: string): { variant: SuggestionVariant; title: string } | undefined {
  if (/toomanyrequests|429 Too Many Requests|pull rate limit|rate limit exceeded/i.test(message))
    return { variant: "rate_limited", title: "Image pull rate-limited by the registry (429 toomanyrequests)" };
  if (/InvalidImageName|couldn't parse image reference|invalid reference format/i.test(message))
    return { variant: "invalid_name", title: "Image reference is malformed" };
  if (/repository does not exist or may require (?:'docker login'|authorization)/i.test(message))
    return { variant: "ambiguous_access", title: "Image repository does not exist or requires authorization (pull access denied)" };
  if (/unauthorized|authentication required|401|403 Forbidden|access denied|denied: |no basic auth credentials|failed to authorize|insufficient_scope|pull access denied|forbidden/i.test(message))
    return { variant: "unauthorized", title: "Registry refused the image pull (unauthorized: missing or wrong pull secret)" };
  if (/manifest unknown|not found|NotFound|name unknown|does not exist|no such image/i.test(message))
    return { variant: "not_found", title: "Image or tag not found in the registry (manifest unknown)" };
  if (/no such host|i\/o timeout|dial tcp|connection refused|TLS handshake timeout|context deadline exceeded/i.test(message))
    return { variant: "registry_unreachable", title: "Registry unreachable from the node" };
  return undefined;
}

/** Summarize a scheduler message ("0/5 nodes are available: 3 Insufficient nvidia.com/gpu, …"). */
export function parseScheduling(message: string): { variant?: SuggestionVariant; title: string } {
  const main = message.split(/preemption:/)[0] ?? message;
  const parts: string[] = [];
  let variant: SuggestionVariant | undefined;
  const insufficient = [...main.matchAll(/(\d+) Insufficient ([\w/-]+(?:\.[\w/-]+)*)/g)];
  for (const m of insufficient) parts.push(`${m[1]} node(s) lack ${m[2]}`);
  const gpu = insufficient.find((m) => /gpu/i.test(m[2] ?? ""));
  const taints = [...main.matchAll(/(\d+) node\(s\) had (?:untolerated )?taints? (\{[^}]*\})/g)];
  for (const m of taints) parts.push(`${m[1]} node(s) have untolerated taint ${m[2]}`);
  const affinity = /(\d+) node\(s\) didn't match (?:Pod's node affinity(?:\/selector)?|node selector)/.exec(main);
  if (affinity) parts.push(`${affinity[1]} node(s) don't match the node affinity/selector`);
  const pvc = /unbound immediate PersistentVolumeClaims|persistentvolumeclaim "([^"]+)" not found|volume node affinity conflict/.exec(main);
  if (pvc) parts.push(pvc[1] ? `PVC "${pvc[1]}" not found` : pvc[0]);
  const other = /didn't have free ports|Too many pods|were unschedulable|didn't satisfy existing pods anti-affinity rules|didn't match pod (?:anti-)?affinity rules/.exec(main);
  if (other) parts.push(other[0]);
  if (gpu) variant = "gpu";
  else if (pvc) variant = "pvc";
  else if (insufficient.some((m) => m[2] === "cpu")) variant = "cpu";
  else if (insufficient.some((m) => m[2] === "memory")) variant = "memory";
  else if (taints.length > 0) variant = taints.some((m) => /gpu/i.test(m[2] ?? "")) ? "taint" : affinity ? "affinity" : "taint";
  else if (affinity) variant = "affinity";
  return { variant, title: parts.length ? `Pod cannot be scheduled: ${parts.join("; ")}` : `Pod cannot be scheduled: ${clip(main, 120)}` };
}

function configVariant(message: string): { variant: SuggestionVariant; title: string } {
  const key = /couldn't find key ([\w.-]+) in (Secret|ConfigMap) ([\w.-]+)\/([\w.-]+)/.exec(message);
  if (key) return { variant: "key", title: `Key ${key[1]} missing from ${key[2]} ${key[3]}/${key[4]}` };
  const obj = /(secret|configmap)s? "([^"]+)" not found/i.exec(message);
  if (obj) {
    const isSecret = (obj[1] ?? "").toLowerCase() === "secret";
    return { variant: isSecret ? "secret" : "configmap", title: `${isSecret ? "Secret" : "ConfigMap"} "${obj[2]}" not found` };
  }
  if (/nvidia-container-cli|nvml|NVIDIA driver/i.test(message)) return { variant: "no_gpu_runtime", title: `GPU runtime failed to start the container` };
  if (/executable file not found|exec format error|no such file or directory|permission denied/i.test(message))
    return { variant: "command", title: `Container command cannot run: ${clip(message, 100)}` };
  return { variant: "command", title: `Container configuration error: ${clip(message, 100)}` };
}

function evictVariant(message: string): SuggestionVariant | undefined {
  if (/ephemeral|EmptyDir/i.test(message)) return "ephemeral";
  if (/low on resource: memory/i.test(message)) return "memory";
  if (/nodefs|imagefs|disk/i.test(message)) return "disk";
  return undefined;
}

function evictTitle(message: string): string {
  const low = /low on resource: ([\w-]+(?:\.[\w-]+)*)/.exec(message);
  if (low) return `Pod evicted: the node was low on ${low[1]}`;
  if (/ephemeral local storage usage exceeds|exceeded its local ephemeral storage limit/.test(message))
    return "Pod evicted: ephemeral storage use exceeded the container limit";
  if (/EmptyDir volume .* exceeds the limit/.test(message)) return "Pod evicted: an emptyDir volume exceeded its size limit";
  return `Pod evicted: ${clip(message, 100)}`;
}

function failing(v: ContainerView): boolean {
  const w = v.waiting?.reason;
  if (w && w !== "ContainerCreating" && w !== "PodInitializing") return true;
  const t = v.terminated ?? v.lastTerminated;
  return (t?.exitCode ?? 0) !== 0 || t?.reason === "OOMKilled";
}

/** `"limits":{…}` of a container, verbatim from the pod JSON, when it has limits. */
export function limitsEvidence(pod: PodView | undefined, container: string | undefined): SignalEvidence | undefined {
  const limits = containerSpec(pod, container)?.resources?.limits;
  return limits ? status(`"limits":${JSON.stringify(limits)}`) : undefined;
}

/** The most specific registry error among the pull events (the status itself only says "Back-off pulling image"). */
function pullDetailFromEvents(events: EventRow[]): { variant: SuggestionVariant; title: string } | undefined {
  let found: { variant: SuggestionVariant; title: string } | undefined;
  for (const { message } of events) {
    if (!/Failed to pull image|ErrImagePull|InvalidImageName/.test(message)) continue;
    const pull = classifyPull(message);
    if (pull && (!found || found.variant === "registry_unreachable")) found = pull;
  }
  return found;
}

/** Findings from the Pod object: container states, exit codes, eviction, scheduling conditions. */
export function analyzeStatus(bundle: EvidenceBundle, pod: PodView | undefined, events: EventRow[]): { findings: Finding[]; facts: PodFacts } {
  const podStatus = pod?.status;
  const views = containerViews(pod);
  const named = bundle.container ?? bundle.alert.labels.container ?? bundle.target?.container;
  const target =
    views.find((v) => v.name === named)?.name ??
    views.find((v) => v.init && failing(v))?.name ??
    views.find((v) => !v.init && failing(v))?.name ??
    views.find((v) => !v.init)?.name ??
    named;
  const facts: PodFacts = {
    hasPod: !!bundle.pod,
    target,
    hasTargetStatus: views.some((v) => v.name === target),
    currentTerminated: false,
    crashLooping: false,
    restartCount: 0,
    blocked: false,
    scheduled: !!pod?.spec?.nodeName,
    containerCreating: false,
    imageWaiting: false,
    configWaiting: false,
    probeFailures: [],
    pullDetail: pullDetailFromEvents(events),
  };
  const findings: Finding[] = [];
  const restartPolicy = pod?.spec?.restartPolicy ?? "Always";

  for (const v of views) {
    const isTarget = v.name === target;
    const factor = isTarget || v.init ? 1 : 0.85;
    const add = (f: Omit<Finding, "confidence"> & { confidence: number }) => findings.push({ ...f, confidence: f.confidence * factor });
    const wReason = v.waiting?.reason;
    const wMessage = v.waiting?.message;
    const wEvidence = [status(kv("reason", wReason)), ...(wMessage ? [status(excerpt(kv("message", wMessage)))] : [])];
    if (isTarget) {
      facts.restartCount = v.restartCount;
      facts.crashLooping = wReason === "CrashLoopBackOff";
      facts.containerCreating = wReason === "ContainerCreating" || wReason === "PodInitializing";
    }
    if (wReason && IMAGE_WAITING.has(wReason)) {
      facts.blocked = true;
      facts.imageWaiting = true;
      const pull = classifyPull(`${wReason} ${wMessage ?? ""}`) ?? facts.pullDetail;
      add({
        category: "image_pull",
        title: pull ? `${pull.title} (container ${v.name})` : `Image cannot be pulled for container ${v.name} (${wReason})`,
        confidence: 0.96,
        evidence: wEvidence,
        variant: pull?.variant,
        key: `status:image:${v.name}`,
      });
    } else if (wReason === "CreateContainerConfigError" || wReason === "CreateContainerError" || wReason === "RunContainerError") {
      facts.blocked = true;
      facts.configWaiting = true;
      const cfg = configVariant(wMessage ?? "");
      add({
        category: "config_error",
        title: `${cfg.title} (${wReason}, container ${v.name})`,
        confidence: wReason === "CreateContainerConfigError" ? 0.96 : 0.88,
        evidence: wEvidence,
        variant: cfg.variant,
        key: `status:config:${v.name}`,
      });
    }

    const t = v.terminated ?? v.lastTerminated;
    if (!t) continue;
    const { reason, exitCode: code, message } = t;
    if (isTarget) {
      facts.exitCode = code;
      facts.termReason = reason;
      facts.currentTerminated = !!v.terminated;
    }
    const evidence: SignalEvidence[] = [];
    if (reason) evidence.push(status(kv("reason", reason)));
    if (code !== undefined) evidence.push(status(kv("exitCode", code)));
    const key = `status:exit:${v.name}`;
    const storageInit = v.init && /storage-initializer|model-init|download/i.test(v.name);
    if (reason === "OOMKilled") {
      const limits = limitsEvidence(pod, v.name);
      const mem = limits ? /"memory":"([^"]+)"/.exec(limits.text)?.[1] : undefined;
      add({
        category: "oom_killed",
        title: `Container ${v.name} was OOMKilled (exit ${code ?? 137}${mem ? `, memory limit ${mem}` : ""})`,
        confidence: 0.95,
        evidence: limits ? [...evidence, limits] : evidence,
        key: `status:oom:${v.name}`,
      });
    } else if (storageInit && code !== 0) {
      facts.blocked = true;
      add({
        category: "model_load_failure",
        title: `Model download init container ${v.name} failed (exit ${code ?? "?"})`,
        confidence: 0.8,
        evidence,
        variant: "object_store",
        key,
      });
    } else if (code === 137) {
      add({ category: "oom_killed", title: `Container ${v.name} was killed with SIGKILL (exit 137)`, confidence: 0.55, evidence, variant: "sigkill", key: `${key}:137` });
    } else if (code === 139) {
      add({ category: "app_crash", title: `Container ${v.name} crashed with a segmentation fault (exit 139)`, confidence: 0.7, evidence, variant: "segfault", key });
    } else if (code === 143) {
      add({ category: "app_crash", title: `Container ${v.name} was stopped by SIGTERM (exit 143)`, confidence: 0.35, evidence, key: `${key}:143` });
    } else if (code === 126 || code === 127 || reason === "ContainerCannotRun" || reason === "StartError") {
      const cfg = configVariant(message ?? "");
      add({ category: "config_error", title: `${cfg.title} (exit ${code ?? "?"})`, confidence: 0.85, evidence, variant: cfg.variant, key });
    } else if (code === 0) {
      if (!v.init && v.restartCount > 0 && restartPolicy === "Always")
        add({ category: "app_crash", title: `Container ${v.name} keeps exiting with code 0 and being restarted`, confidence: 0.35, evidence, variant: "exit_zero", key });
    } else if (code !== undefined) {
      add({ category: "app_crash", title: `Container ${v.name} exited with code ${code}${reason ? ` (${reason})` : ""}`, confidence: 0.5, evidence, key });
    }
    // The termination message (terminationMessagePath) is often the last error the process wrote.
    if (message && code !== 0) {
      for (const rule of LOG_RULES) {
        const m = rule.re.exec(message);
        if (!m) continue;
        const quoted = JSON.stringify(message);
        const at = quoted.indexOf(JSON.stringify(m[0]).slice(1, -1));
        add({
          category: rule.category,
          title: rule.title(m, message),
          confidence: Math.min(0.9, rule.base + 0.2),
          evidence: [status(excerpt(quoted, Math.max(0, at), at + m[0].length))],
          variant: typeof rule.variant === "function" ? rule.variant(message) : rule.variant,
          key: `status:message:${v.name}:${rule.id}`,
        });
        break;
      }
    }
  }

  const reason = podStatus?.reason;
  const message = podStatus?.message ?? "";
  const podEvidence = [...(reason ? [status(kv("reason", reason))] : []), ...(message ? [status(excerpt(kv("message", message)))] : [])];
  if (reason === "Evicted") {
    facts.blocked = true;
    findings.push({ category: "evicted", title: evictTitle(message), confidence: 0.96, evidence: podEvidence, variant: evictVariant(message), key: "status:evicted" });
  } else if (reason && (reason.startsWith("OutOf") || reason === "UnexpectedAdmissionError" || reason === "NodeAffinity" || reason === "NodeSelectorMismatching")) {
    facts.blocked = true;
    findings.push({
      category: "unschedulable",
      title: `Kubelet rejected the pod (${reason}): ${clip(message || reason, 100)}`,
      confidence: 0.88,
      evidence: podEvidence,
      variant: /gpu/i.test(reason + message) ? "gpu" : reason === "OutOfcpu" ? "cpu" : reason === "OutOfmemory" ? "memory" : "affinity",
      key: "status:admission",
    });
  } else if (/shutdown/i.test(message) && (reason === "Terminated" || reason === "Shutdown" || reason === "NodeShutdown")) {
    findings.push({ category: "evicted", title: "Pod terminated by a node shutdown", confidence: 0.8, evidence: podEvidence, key: "status:shutdown" });
  }

  for (const c of podStatus?.conditions ?? []) {
    const type = c.type;
    const cReason = c.reason;
    const cMessage = c.message ?? "";
    if (type === "PodScheduled") {
      if (c.status === "True") facts.scheduled = true;
      else if (cReason === "Unschedulable") {
        facts.scheduled = false;
        facts.blocked = true;
        const s = parseScheduling(cMessage);
        findings.push({
          category: "unschedulable",
          title: s.title,
          confidence: 0.93,
          evidence: [status(kv("reason", cReason)), ...(cMessage ? [status(excerpt(kv("message", cMessage)))] : [])],
          variant: s.variant,
          key: "status:unschedulable",
        });
      }
    } else if (type === "DisruptionTarget" && c.status === "True" && cReason) {
      const preempted = /Preemption/.test(cReason);
      const conf = preempted ? 0.85 : cReason === "TerminationByKubelet" ? 0.8 : cReason === "DeletionByTaintManager" ? 0.75 : 0.5;
      findings.push({
        category: "evicted",
        title: preempted ? "Pod was preempted by a higher-priority pod" : `Pod disrupted: ${cReason}${cMessage ? ` (${clip(cMessage, 80)})` : ""}`,
        confidence: conf,
        evidence: [status(kv("reason", cReason))],
        variant: preempted ? "preempted" : evictVariant(cMessage),
        key: "status:disruption",
      });
    }
  }
  return { findings, facts };
}

/** Findings from core/v1 Events; also records probe failures and kills in `facts` for later ranking. */
export function analyzeEvents(events: EventRow[], facts: PodFacts): Finding[] {
  const findings: Finding[] = [];
  const stalePod = facts.hasPod && facts.scheduled;
  for (const [i, { reason, message, count }] of events.entries()) {
    if (!message) continue;
    const ev = (m?: RegExpExecArray | null): SignalEvidence => ({
      source: "events",
      text: m ? excerpt(message, m.index, m.index + m[0].length) : excerpt(message),
    });
    const key = (k: string) => `events:${k}:${i}`;
    const times = count > 1 ? ` (x${count})` : "";
    let m: RegExpExecArray | null;

    if ((m = /^(Liveness|Readiness|Startup) probe (?:failed|errored):?\s?(.*)$/s.exec(message)) || (reason === "Unhealthy" && (m = /^(\w+) probe.*$/s.exec(message)))) {
      facts.probeFailures.push({ kind: (m[1] ?? "").toLowerCase(), count, message: m[2] ?? message, evidence: ev() });
    } else if ((m = /failed (liveness|startup) probe, will be restarted/.exec(message))) {
      facts.probeKill = { kind: m[1] ?? "liveness", evidence: ev() };
    } else if ((m = /\d+\/\d+ nodes are available/.exec(message)) || reason === "FailedScheduling") {
      const s = parseScheduling(message);
      findings.push({ category: "unschedulable", title: s.title + times, confidence: stalePod ? 0.2 : 0.92, evidence: [ev()], variant: s.variant, key: key("sched") });
    } else if (reason === "NotTriggerScaleUp" || /didn't trigger scale-up/.test(message)) {
      const s = parseScheduling(message);
      findings.push({ category: "unschedulable", title: `Cluster autoscaler cannot add a node: ${clip(message, 100)}`, confidence: stalePod ? 0.2 : 0.7, evidence: [ev()], variant: s.variant, key: key("scaleup") });
    } else if (reason === "UnexpectedAdmissionError" || (m = /Allocate failed due to requested number of devices unavailable/.exec(message))) {
      findings.push({ category: "unschedulable", title: `Kubelet could not allocate the requested GPU: ${clip(message, 100)}`, confidence: 0.85, evidence: [ev(m)], variant: "gpu", key: key("admission") });
    } else if ((m = /Failed to pull image|ErrImagePull|ImagePullBackOff|Back-off pulling image|InvalidImageName|couldn't parse image reference|invalid reference format/.exec(message))) {
      const pull = classifyPull(message);
      const live = facts.imageWaiting || !facts.hasTargetStatus;
      findings.push({
        category: "image_pull",
        title: (pull?.title ?? "Image pull failing") + times,
        confidence: live ? 0.92 : 0.35,
        evidence: [ev()],
        variant: pull?.variant,
        key: key("pull"),
      });
    } else if ((m = /couldn't find key [\w.-]+ in (?:Secret|ConfigMap) [\w.-]+\/[\w.-]+|(?:secret|configmap)s? "[^"]+" not found/i.exec(message))) {
      const cfg = configVariant(message);
      const live = facts.configWaiting || facts.containerCreating || !facts.hasTargetStatus;
      findings.push({ category: "config_error", title: cfg.title + times, confidence: live ? 0.92 : 0.4, evidence: [ev(m)], variant: cfg.variant, key: key("config") });
    } else if ((m = /executable file not found in \$PATH|exec format error|nvidia-container-cli|OCI runtime create failed/.exec(message))) {
      const cfg = configVariant(message);
      findings.push({ category: "config_error", title: cfg.title + times, confidence: 0.85, evidence: [ev(m)], variant: cfg.variant, key: key("exec") });
    } else if (reason === "Evicted" || (m = /The node was low on resource|ephemeral local storage usage exceeds|exceeded its local ephemeral storage limit|Usage of EmptyDir volume .* exceeds the limit/.exec(message))) {
      findings.push({ category: "evicted", title: evictTitle(message), confidence: 0.9, evidence: [ev()], variant: evictVariant(message), key: key("evicted") });
    } else if ((m = /Memory cgroup out of memory|Out of memory: Kill(?:ed)? process|Killed process \d+ \(/.exec(message)) || reason === "OOMKilling") {
      findings.push({ category: "oom_killed", title: `Kernel OOM killer: ${clip(message, 100)}`, confidence: 0.85, evidence: [ev(m)], key: key("oom") });
    } else if ((m = /System OOM encountered/.exec(message)) || reason === "SystemOOM") {
      findings.push({ category: "oom_killed", title: `Node ran out of memory: ${clip(message, 100)}`, confidence: 0.7, evidence: [ev(m)], key: key("systemoom") });
    } else if (reason === "Preempted" || (m = /Preempted by/.exec(message))) {
      findings.push({ category: "evicted", title: "Pod was preempted by a higher-priority pod", confidence: 0.85, evidence: [ev(m)], variant: "preempted", key: key("preempted") });
    } else if (reason === "TaintManagerEviction") {
      findings.push({ category: "evicted", title: `Pod evicted by taint manager: ${clip(message, 80)}`, confidence: 0.7, evidence: [ev()], key: key("taint") });
    } else if (/Back-off restarting failed container/.test(message)) {
      if (!facts.hasPod) facts.crashLooping = true;
    } else if (reason === "FailedMount" || reason === "FailedAttachVolume") {
      findings.push({
        category: "config_error",
        title: `Volume cannot be mounted: ${clip(message, 100)}`,
        confidence: facts.containerCreating || !facts.hasTargetStatus ? 0.6 : 0.25,
        evidence: [ev()],
        key: key("mount"),
      });
    }
  }
  return findings;
}
