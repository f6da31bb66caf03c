import { createHash } from "node:crypto";
import type { EvidenceBundle } from "@/lib/cluster/bundle";
import { viewPod } from "@/lib/cluster/view";
import { controllerOf, metaOf } from "@/lib/cluster/workload-view";
import type { Signal, SignalCategory } from "@/lib/analysis/types";
import type { FailureSignature, SignatureParts, SignatureWorkload } from "@/lib/analysis/similar";

/**
 * The failure signature of an analysis: the top cause's category and its proof lines turned into
 * templates (names, numbers, ids, hashes, addresses and times replaced by placeholders), hashed; plus the
 * workload (namespace and owner, never the pod's hash suffix) kept beside it. Two OOM kills of one
 * deployment share both; the same OOM in another deployment shares the signature, not the workload.
 * Pure; every input line is bounded and every pattern is free of nested quantifiers, so it is linear.
 */

/** Bumped when the templating changes, so old and new signatures never compare equal by accident. */
export const SIGNATURE_VERSION = 1;
/** At most this many proof lines make up a signature (signaturePartsSchema's bound). */
export const MAX_PROOF_LINES = 5;
/** Input lines are cut to this before templating, templates to TEMPLATE_MAX after. */
const LINE_INPUT_MAX = 2000;
const TEMPLATE_MAX = 300;

export type { FailureSignature, SignatureParts, SignatureWorkload };

const POD_SUFFIX = /^(.+)-[a-z0-9]{5}$/;

/**
 * The workload that owns the analyzed pod: the top of the owner chain the gatherer read, else the pod's
 * controller (a ReplicaSet named `<deployment>-<pod-template-hash>` stands for its Deployment), else the
 * pod itself with its generated suffix dropped.
 */
export function workloadOf(bundle: Pick<EvidenceBundle, "workload" | "pod" | "target" | "alert" | "gonePod">): SignatureWorkload | undefined {
  const pod = viewPod(bundle.pod);
  const meta = metaOf(bundle.pod);
  const namespace = bundle.target?.namespace ?? meta.namespace ?? bundle.alert.labels.namespace ?? bundle.gonePod?.namespace;
  if (!namespace) return undefined;
  const cluster = bundle.target?.cluster ?? bundle.alert.labels.cluster;
  const base = { ...(cluster ? { cluster } : {}), namespace };
  const w = bundle.workload;
  if (w) {
    const top = w.owners[w.owners.length - 1];
    // The chain starts at the pod's controller; a CronJob above a Job is the stable name.
    return { ...base, ...(top ? { kind: top.kind, name: top.name } : { kind: w.kind, name: w.name }) };
  }
  const owner = controllerOf(bundle.pod);
  if (owner) {
    const hash = meta.labels["pod-template-hash"];
    if (owner.kind === "ReplicaSet" && hash && owner.name.endsWith(`-${hash}`)) {
      return { ...base, kind: "Deployment", name: owner.name.slice(0, -hash.length - 1) };
    }
    return { ...base, kind: owner.kind, name: owner.name };
  }
  const name = pod?.metadata?.name ?? bundle.target?.pod ?? bundle.alert.labels.pod;
  if (!name) return undefined;
  return { ...base, kind: "Pod", name: name.replace(POD_SUFFIX, "$1") };
}

/** The key similar incidents are grouped by. */
export function workloadKey(w: SignatureWorkload): string {
  return `${w.cluster ?? ""}/${w.namespace}/${w.kind}/${w.name}`;
}

/** Names specific to one incident, replaced before the generic rules so another deployment's lines read the same. */
export interface TemplateNames {
  pods?: string[];
  workload?: string;
  namespace?: string;
  container?: string;
  node?: string;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
// A Kubernetes name is letters, digits and dashes (dots between DNS labels): a name ends where those do.
const NOT_AFTER_NAME = "(?<![A-Za-z0-9-])";
const NOT_BEFORE_NAME = "(?![A-Za-z0-9-])";

// Ordered: the most specific shapes first, plain numbers last. None nests a quantifier in another.
const RULES: Array<[RegExp, string | ((m: string) => string)]> = [
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?/g, "<time>"],
  [/\b\d{4}[-/]\d{2}[-/]\d{2}\b/g, "<date>"],
  [/\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?\b/g, "<time>"],
  [/\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b/g, "<uuid>"],
  [/\b(?:sha256|sha512|sha1|md5):[0-9a-fA-F]{16,128}\b/g, "<hash>"],
  [/\b0x[0-9a-fA-F]{1,32}\b/g, "<hex>"],
  [/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d{1,5})?\b/g, "<ip>"],
  [/\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\b/g, "<ip>"],
  [/\b[0-9a-fA-F]{16,128}\b/g, "<hash>"],
  // Hex ids (a pod-template-hash, a container id prefix): hex words holding both a digit and a letter.
  [/\b[0-9a-f]{6,15}\b/g, (m) => (/\d/.test(m) && /[a-f]/.test(m) ? "<id>" : m)],
  [/\b(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d)){1,4}\b/g, "<duration>"],
  [/\d+(?:\.\d+)?/g, "<n>"],
];

/**
 * One proof line as a template: the incident's names, then times, ids, hashes, addresses, durations and
 * numbers become placeholders; whitespace is collapsed; the result is at most 300 characters.
 */
export function templateLine(line: string, names: TemplateNames = {}): string {
  let s = line.slice(0, LINE_INPUT_MAX).replace(/\s+/g, " ").trim();
  // Another replica (or the ReplicaSet): the workload's name followed by its generated suffixes.
  if (names.workload && names.workload.length >= 3) s = s.replace(new RegExp(`${NOT_AFTER_NAME}${escapeRegExp(names.workload)}(?:-[a-z0-9]{4,10}){1,2}${NOT_BEFORE_NAME}`, "g"), "<pod>");
  const literal: Array<[string | undefined, string]> = [
    ...(names.pods ?? []).map((p): [string, string] => [p, "<pod>"]),
    [names.node, "<node>"],
    [names.workload, "<workload>"],
    [names.namespace, "<namespace>"],
    [names.container, "<container>"],
  ];
  for (const [name, placeholder] of literal.filter(([n]) => !!n && n.length >= 3).sort((a, b) => (b[0]?.length ?? 0) - (a[0]?.length ?? 0))) {
    // Whole names only: a container called "server" must not eat "server" in "observer".
    s = s.replace(new RegExp(`${NOT_AFTER_NAME}${escapeRegExp(name as string)}${NOT_BEFORE_NAME}`, "g"), placeholder);
  }
  for (const [re, to] of RULES) s = typeof to === "string" ? s.replace(re, to) : s.replace(re, to);
  return s.length > TEMPLATE_MAX ? s.slice(0, TEMPLATE_MAX) : s;
}

/** The names of this incident that templates replace. */
export function templateNames(bundle: EvidenceBundle, workload: SignatureWorkload | undefined): TemplateNames {
  const pod = viewPod(bundle.pod);
  const pods = [bundle.target?.pod, bundle.gonePod?.pod, pod?.metadata?.name, bundle.alert.labels.pod].filter((p): p is string => !!p);
  return {
    pods: [...new Set(pods)],
    workload: workload?.kind === "Pod" ? undefined : workload?.name,
    namespace: workload?.namespace,
    container: bundle.container ?? bundle.target?.container ?? bundle.alert.labels.container,
    node: pod?.spec?.nodeName,
  };
}

export interface SignatureInput {
  /** The report (or the offline diagnosis before one exists): only the top hypothesis's category and quotes count. */
  report: { hypotheses: ReadonlyArray<{ category?: SignalCategory; evidence: ReadonlyArray<{ text: string; verified?: boolean }> }> };
  bundle: EvidenceBundle;
  /** The offline analyzer's signals: their quotes stand for a cause both analyzers name (see proofLines). */
  signals?: readonly Pick<Signal, "category" | "evidence">[];
}

/**
 * The proof lines of the top cause. The offline analyzer's quotes for the same category come first: they
 * are deterministic, so a Gemini report and an offline one of the same failure (and two Gemini runs that
 * quote different fragments) get the same signature. Without such a signal, the top hypothesis's verified
 * quotes (all of them when none is verified).
 */
export function proofLines(input: SignatureInput, category: SignalCategory): string[] {
  const signal = input.signals?.find((s) => s.category === category && s.evidence.length > 0);
  if (signal) return signal.evidence.map((e) => e.text);
  const evidence = input.report.hypotheses[0]?.evidence ?? [];
  const verified = evidence.filter((e) => e.verified);
  return (verified.length ? verified : evidence).map((e) => e.text);
}

/**
 * The failure signature of a finished analysis, or undefined when it names no known cause (no hypothesis,
 * no category, or `unknown`): "nothing found" is not a failure worth matching.
 */
export function failureSignature(input: SignatureInput): FailureSignature | undefined {
  const category = input.report.hypotheses[0]?.category;
  if (!category || category === "unknown") return undefined;
  const workload = workloadOf(input.bundle);
  const names = templateNames(input.bundle, workload);
  const templates = [...new Set(proofLines(input, category).map((l) => templateLine(l, names)).filter((t) => t.length > 0))].sort().slice(0, MAX_PROOF_LINES);
  const signature = createHash("sha256").update(JSON.stringify([SIGNATURE_VERSION, category, templates])).digest("hex").slice(0, 16);
  return { signature, ...(workload ? { workloadKey: workloadKey(workload) } : {}), parts: { version: SIGNATURE_VERSION, category, templates, ...(workload ? { workload } : {}) } };
}
