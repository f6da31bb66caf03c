import { z } from "zod";
import { redactionMarker, redactText, secretKindForKey } from "@/lib/analysis/redact";
import type { BundleWorkload } from "@/lib/cluster/bundle";
import { changeCause, metaOf, revisionNumber, revisionTemplate, sortRevisions, type PodTemplate } from "@/lib/cluster/workload-view";

/**
 * What changed between two revisions of a workload's pod template (browser-safe, pure): images (tag and
 * digest), command and args (flag by flag), env (secret values redacted, secret references shown as
 * references), resources, probes, volumes and mounts, model paths and storage URIs, node selection, and a
 * restart. The summary lines are stable text that reports quote and grounding verifies.
 */

export type ChangeCategory = "image" | "model" | "args" | "env" | "resources" | "probes" | "volumes" | "scheduling" | "restart" | "containers";

export interface RevisionChange {
  category: ChangeCategory;
  /** The container it concerns, when it concerns one. */
  container?: string;
  /** What changed: `image`, `--max-model-len`, `env HF_HOME`, `memory limit`, `readinessProbe.initialDelaySeconds`, ... */
  field: string;
  before?: string;
  after?: string;
  /** The change as one line: `--max-model-len 8192 → 32768`. */
  text: string;
}

export interface RevisionInfo {
  revision?: number;
  name: string;
  createdAt?: string;
  changeCause?: string;
}

export interface RevisionDiff {
  current: RevisionInfo;
  previous?: RevisionInfo;
  /** Minutes from the current revision's creation to the alert start (positive: before the alert). */
  minutesBeforeAlert?: number;
  changes: RevisionChange[];
  /** The first line, then one per change; bounded in count and length. */
  summary: string[];
}

/**
 * At most this many change lines, each at most MAX_LINE characters; the headline names at most
 * HEADLINE_CHANGES (120 characters each) and counts the rest.
 */
export const MAX_CHANGE_LINES = 20;
export const MAX_LINE = 200;
const HEADLINE_CHANGES = 3;
const HEADLINE_CHANGE_MAX = 120;
const ARROW = "→";

const MODEL_FLAGS = /^--?(model|model[-_]id|model[-_]path|model[-_]name|served[-_]model[-_]name|model[-_]repository|model[-_]store|tokenizer|adapter|lora[-_]modules|checkpoint|weights)$/i;
const MODEL_ENV = /(^|_)(MODEL|MODELS|STORAGE_URI|CHECKPOINT|WEIGHTS|TOKENIZER|ADAPTER)(_|$)/i;
const STORAGE_URI = /\b(?:s3|gs|hf|pvc|oci|azureblob|wasbs?|abfss?|file):\/\/\S+/i;

const cut = (s: string, n = MAX_LINE) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const containerSchema = z.object({
  name: z.string(),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.array(z.object({ name: z.string(), value: z.string().optional(), valueFrom: z.record(z.string(), z.unknown()).optional() })).optional(),
  envFrom: z.array(z.record(z.string(), z.unknown())).optional(),
  resources: z.object({ requests: z.record(z.string(), z.unknown()).optional(), limits: z.record(z.string(), z.unknown()).optional() }).optional(),
  livenessProbe: z.unknown().optional(),
  readinessProbe: z.unknown().optional(),
  startupProbe: z.unknown().optional(),
  volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string(), readOnly: z.boolean().optional(), subPath: z.string().optional() })).optional(),
});
type Container = z.infer<typeof containerSchema>;

const specSchema = z.object({
  containers: z.array(containerSchema).default([]),
  initContainers: z.array(containerSchema).optional(),
  volumes: z.array(z.object({ name: z.string() }).loose()).optional(),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  affinity: z.unknown().optional(),
  tolerations: z.array(z.unknown()).optional(),
  nodeName: z.string().optional(),
  runtimeClassName: z.string().optional(),
  priorityClassName: z.string().optional(),
});
type Spec = z.infer<typeof specSchema>;

const RESTART_ANNOTATION = "kubectl.kubernetes.io/restartedAt";

/** A stable JSON text: object keys sorted. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.entries(v)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** Leaves of a JSON value as path → text (`httpGet.path` → `/health`). */
function leaves(v: unknown, prefix = "", out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(v)) v.forEach((x, i) => leaves(x, `${prefix}[${i}]`, out));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) leaves(x, prefix ? `${prefix}.${k}` : k, out);
  else if (v !== undefined) out.set(prefix, typeof v === "string" ? v : JSON.stringify(v));
  return out;
}

/** Changed leaves between two JSON values, in stable path order. */
function leafChanges(before: unknown, after: unknown): Array<{ path: string; before?: string; after?: string }> {
  const a = leaves(before);
  const b = leaves(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths.filter((p) => a.get(p) !== b.get(p)).map((p) => ({ path: p, before: a.get(p), after: b.get(p) }));
}

const safe = (v: string) => redactText(v).text;

function arrowText(field: string, before: string | undefined, after: string | undefined): string {
  if (before === undefined) return cut(`${field} ${after ?? ""} added`);
  if (after === undefined) return cut(`${field} ${before} removed`);
  return cut(`${field} ${before} ${ARROW} ${after}`);
}

interface ImageRef {
  repo: string;
  tag?: string;
  digest?: string;
}

/** `registry/repo:tag@sha256:…` split into its parts (a registry port is not a tag). */
export function parseImage(image: string): ImageRef {
  const [nameTag = "", digest] = image.split("@", 2);
  const slash = nameTag.lastIndexOf("/");
  const colon = nameTag.lastIndexOf(":");
  const hasTag = colon > slash;
  return { repo: hasTag ? nameTag.slice(0, colon) : nameTag, ...(hasTag ? { tag: nameTag.slice(colon + 1) } : {}), ...(digest ? { digest } : {}) };
}

const shortDigest = (d: string | undefined) => (d ? d.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, "$1") : undefined);

function imageChange(name: string, before: string | undefined, after: string | undefined): RevisionChange | undefined {
  if (before === after || !before || !after) return undefined;
  const a = parseImage(before);
  const b = parseImage(after);
  let text: string;
  if (a.repo === b.repo) {
    const tagPart = (r: ImageRef) => [r.tag ?? "latest", r.digest && a.digest !== b.digest ? `@${shortDigest(r.digest) ?? ""}` : ""].join("");
    text = `image ${a.repo}:${tagPart(a)} ${ARROW} ${tagPart(b)}`;
    if (a.tag === b.tag && a.digest !== b.digest) text = `image ${a.repo}:${a.tag ?? "latest"} digest ${shortDigest(a.digest) ?? "none"} ${ARROW} ${shortDigest(b.digest) ?? "none"}`;
  } else {
    text = `image ${before} ${ARROW} ${after}`;
  }
  return { category: "image", container: name, field: "image", before, after, text: cut(text) };
}

interface Argv {
  flags: Map<string, string>;
  positional: string[];
}

/** argv read flag by flag: `--a=1`, `--a 1`, `--flag` (a switch), the rest positional. */
function parseArgv(argv: string[]): Argv {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i] ?? "";
    if (/^--?[A-Za-z]/.test(tok)) {
      const eq = tok.indexOf("=");
      if (eq > 0) flags.set(tok.slice(0, eq), tok.slice(eq + 1));
      else {
        const next = argv[i + 1];
        if (next !== undefined && !/^--?[A-Za-z]/.test(next)) {
          flags.set(tok, next);
          i++;
        } else flags.set(tok, "");
      }
    } else positional.push(tok);
  }
  return { flags, positional };
}

function flagValue(flag: string, value: string): string {
  const kind = secretKindForKey(flag.replace(/^-+/, ""));
  return kind && value !== "" ? redactionMarker(kind) : safe(value);
}

function argChanges(name: string, before: Container, after: Container): RevisionChange[] {
  const a = parseArgv([...(before.command ?? []), ...(before.args ?? [])]);
  const b = parseArgv([...(after.command ?? []), ...(after.args ?? [])]);
  const out: RevisionChange[] = [];
  const flags = [...new Set([...a.flags.keys(), ...b.flags.keys()])];
  for (const flag of flags) {
    const x = a.flags.get(flag);
    const y = b.flags.get(flag);
    if (x === y) continue;
    const model = MODEL_FLAGS.test(flag) || STORAGE_URI.test(x ?? "") || STORAGE_URI.test(y ?? "");
    const bx = x === undefined ? undefined : flagValue(flag, x);
    const by = y === undefined ? undefined : flagValue(flag, y);
    let text: string;
    if (x === undefined) text = cut(`${flag}${by ? ` ${by}` : ""} added`);
    else if (y === undefined) text = cut(`${flag} removed`);
    else if (bx === by) text = cut(`${flag} changed (value redacted)`);
    else text = cut(`${flag} ${bx || "(on)"} ${ARROW} ${by || "(on)"}`);
    out.push({ category: model ? "model" : "args", container: name, field: flag, ...(bx !== undefined ? { before: bx } : {}), ...(by !== undefined ? { after: by } : {}), text });
  }
  const pa = a.positional.map(safe).join(" ");
  const pb = b.positional.map(safe).join(" ");
  if (pa !== pb) {
    const model = STORAGE_URI.test(pa) || STORAGE_URI.test(pb);
    out.push({ category: model ? "model" : "args", container: name, field: "command", before: pa, after: pb, text: arrowText("command", pa || "(none)", pb || "(none)") });
  }
  return out;
}

type EnvVar = NonNullable<Container["env"]>[number];

/** An env var's value as it may be shown: a reference for valueFrom, a marker for a secret-named literal. */
function envText(e: EnvVar): string {
  if (e.valueFrom) {
    const ref = z.object({ name: z.string().optional(), key: z.string().optional() });
    const from = z
      .object({ secretKeyRef: ref.optional(), configMapKeyRef: ref.optional(), fieldRef: z.object({ fieldPath: z.string() }).optional(), resourceFieldRef: z.object({ resource: z.string() }).optional() })
      .safeParse(e.valueFrom).data;
    if (from?.secretKeyRef) return `from secret ${from.secretKeyRef.name ?? ""}/${from.secretKeyRef.key ?? ""}`;
    if (from?.configMapKeyRef) return `from configmap ${from.configMapKeyRef.name ?? ""}/${from.configMapKeyRef.key ?? ""}`;
    if (from?.fieldRef) return `from field ${from.fieldRef.fieldPath}`;
    if (from?.resourceFieldRef) return `from resource ${from.resourceFieldRef.resource}`;
    return "from a reference";
  }
  const value = e.value ?? "";
  const kind = secretKindForKey(e.name);
  return kind && value !== "" ? redactionMarker(kind) : safe(value);
}

function envChanges(name: string, before: Container, after: Container): RevisionChange[] {
  const a = new Map((before.env ?? []).map((e) => [e.name, e]));
  const b = new Map((after.env ?? []).map((e) => [e.name, e]));
  const out: RevisionChange[] = [];
  for (const key of [...new Set([...a.keys(), ...b.keys()])]) {
    const x = a.get(key);
    const y = b.get(key);
    if (x && y && canonical(x) === canonical(y)) continue;
    const tx = x && envText(x);
    const ty = y && envText(y);
    const model = MODEL_ENV.test(key) || STORAGE_URI.test(tx ?? "") || STORAGE_URI.test(ty ?? "");
    const field = `env ${key}`;
    const text = tx !== undefined && tx === ty ? cut(`${field} changed (value redacted)`) : tx === undefined ? cut(`${field}=${ty ?? ""} added`) : ty === undefined ? cut(`${field} removed`) : arrowText(field, tx, ty);
    out.push({ category: model ? "model" : "env", container: name, field, ...(tx !== undefined ? { before: tx } : {}), ...(ty !== undefined ? { after: ty } : {}), text });
  }
  const ea = (before.envFrom ?? []).map(canonical).sort().join(" ");
  const eb = (after.envFrom ?? []).map(canonical).sort().join(" ");
  if (ea !== eb) out.push({ category: "env", container: name, field: "envFrom", before: ea, after: eb, text: cut(`envFrom ${ea || "(none)"} ${ARROW} ${eb || "(none)"}`) });
  return out;
}

function resourceChanges(name: string, before: Container, after: Container): RevisionChange[] {
  const out: RevisionChange[] = [];
  for (const side of ["requests", "limits"] as const) {
    const a = before.resources?.[side] ?? {};
    const b = after.resources?.[side] ?? {};
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const x = a[key] === undefined ? undefined : String(a[key]);
      const y = b[key] === undefined ? undefined : String(b[key]);
      if (x === y) continue;
      const field = `${key} ${side === "limits" ? "limit" : "request"}`;
      out.push({ category: "resources", container: name, field, ...(x !== undefined ? { before: x } : {}), ...(y !== undefined ? { after: y } : {}), text: arrowText(field, x, y) });
    }
  }
  return out;
}

function probeChanges(name: string, before: Container, after: Container): RevisionChange[] {
  return (["livenessProbe", "readinessProbe", "startupProbe"] as const).flatMap((probe) =>
    leafChanges(before[probe], after[probe]).map((c) => {
      const field = c.path ? `${probe}.${c.path}` : probe;
      return { category: "probes" as const, container: name, field, ...(c.before !== undefined ? { before: c.before } : {}), ...(c.after !== undefined ? { after: c.after } : {}), text: arrowText(field, c.before, c.after) };
    }),
  );
}

function mountChanges(name: string, before: Container, after: Container): RevisionChange[] {
  const text = (m: NonNullable<Container["volumeMounts"]>[number]) => `${m.name}${m.subPath ? `/${m.subPath}` : ""}${m.readOnly ? " (ro)" : ""}`;
  const a = new Map((before.volumeMounts ?? []).map((m) => [m.mountPath, text(m)]));
  const b = new Map((after.volumeMounts ?? []).map((m) => [m.mountPath, text(m)]));
  return [...new Set([...a.keys(), ...b.keys()])]
    .filter((p) => a.get(p) !== b.get(p))
    .map((p) => {
      const field = `mount ${p}`;
      const x = a.get(p);
      const y = b.get(p);
      return { category: "volumes" as const, container: name, field, ...(x !== undefined ? { before: x } : {}), ...(y !== undefined ? { after: y } : {}), text: arrowText(field, x, y) };
    });
}

function containerChanges(kind: "container" | "init container", before: Container[], after: Container[]): RevisionChange[] {
  const a = new Map(before.map((c) => [c.name, c]));
  const b = new Map(after.map((c) => [c.name, c]));
  const out: RevisionChange[] = [];
  for (const c of before) if (!b.has(c.name)) out.push({ category: "containers", container: c.name, field: kind, before: c.name, text: `${kind} ${c.name} removed` });
  for (const c of after) {
    const prev = a.get(c.name);
    if (!prev) {
      out.push({ category: "containers", container: c.name, field: kind, after: c.name, text: cut(`${kind} ${c.name} added${c.image ? ` (${c.image})` : ""}`) });
      continue;
    }
    const image = imageChange(c.name, prev.image, c.image);
    out.push(...(image ? [image] : []), ...argChanges(c.name, prev, c), ...envChanges(c.name, prev, c), ...resourceChanges(c.name, prev, c), ...probeChanges(c.name, prev, c), ...mountChanges(c.name, prev, c));
  }
  return out;
}

function volumeText(v: Record<string, unknown>): string {
  const { name: _name, ...source } = v;
  const [type, body] = Object.entries(source)[0] ?? ["", undefined];
  const ref = z.object({ claimName: z.string().optional(), name: z.string().optional(), secretName: z.string().optional(), path: z.string().optional() }).safeParse(body).data;
  const what = ref?.claimName ?? ref?.secretName ?? ref?.name ?? ref?.path;
  return what ? `${type} ${what}` : type;
}

function specChanges(a: Spec, b: Spec): RevisionChange[] {
  const out: RevisionChange[] = [];
  const va = new Map((a.volumes ?? []).map((v) => [v.name, v]));
  const vb = new Map((b.volumes ?? []).map((v) => [v.name, v]));
  for (const name of [...new Set([...va.keys(), ...vb.keys()])]) {
    const x = va.get(name);
    const y = vb.get(name);
    if (x && y && canonical(x) === canonical(y)) continue;
    const tx = x && volumeText(x);
    const ty = y && volumeText(y);
    const field = `volume ${name}`;
    const model = STORAGE_URI.test(tx ?? "") || STORAGE_URI.test(ty ?? "") || /model/i.test(name);
    out.push({ category: model ? "model" : "volumes", field, ...(tx !== undefined ? { before: tx } : {}), ...(ty !== undefined ? { after: ty } : {}), text: tx === ty ? cut(`${field} ${tx ?? ""} changed`) : arrowText(field, tx, ty) });
  }
  for (const c of leafChanges(a.nodeSelector, b.nodeSelector)) {
    const field = `nodeSelector ${c.path}`;
    out.push({ category: "scheduling", field, ...(c.before !== undefined ? { before: c.before } : {}), ...(c.after !== undefined ? { after: c.after } : {}), text: arrowText(field, c.before, c.after) });
  }
  for (const c of leafChanges(a.affinity, b.affinity)) {
    const field = `affinity.${c.path}`;
    out.push({ category: "scheduling", field, ...(c.before !== undefined ? { before: c.before } : {}), ...(c.after !== undefined ? { after: c.after } : {}), text: arrowText(field, c.before, c.after) });
  }
  const toleration = (t: unknown) => {
    const r = z.object({ key: z.string().optional(), operator: z.string().optional(), value: z.string().optional(), effect: z.string().optional() }).safeParse(t).data;
    return r ? `${r.key ?? "*"}${r.operator === "Exists" ? "" : `=${r.value ?? ""}`}${r.effect ? `:${r.effect}` : ""}` : canonical(t);
  };
  const ta = new Set((a.tolerations ?? []).map(toleration));
  const tb = new Set((b.tolerations ?? []).map(toleration));
  for (const t of [...ta].filter((x) => !tb.has(x))) out.push({ category: "scheduling", field: "toleration", before: t, text: cut(`toleration ${t} removed`) });
  for (const t of [...tb].filter((x) => !ta.has(x))) out.push({ category: "scheduling", field: "toleration", after: t, text: cut(`toleration ${t} added`) });
  for (const key of ["nodeName", "runtimeClassName", "priorityClassName"] as const) {
    if (a[key] !== b[key]) out.push({ category: "scheduling", field: key, ...(a[key] ? { before: a[key] } : {}), ...(b[key] ? { after: b[key] } : {}), text: arrowText(key, a[key], b[key]) });
  }
  return out;
}

/** The changes from one pod template to another, in a stable order; empty for equal templates. */
export function diffTemplates(before: PodTemplate | undefined, after: PodTemplate | undefined): RevisionChange[] {
  const a = specSchema.safeParse(before?.spec ?? {}).data ?? { containers: [] };
  const b = specSchema.safeParse(after?.spec ?? {}).data ?? { containers: [] };
  const out = [...containerChanges("init container", a.initContainers ?? [], b.initContainers ?? []), ...containerChanges("container", a.containers, b.containers), ...specChanges(a, b)];
  const restarted = (t: PodTemplate | undefined) => z.object({ annotations: z.record(z.string(), z.string()) }).safeParse(t?.metadata).data?.annotations[RESTART_ANNOTATION];
  const ra = restarted(before);
  const rb = restarted(after);
  if (rb && ra !== rb) out.push({ category: "restart", field: RESTART_ANNOTATION, ...(ra ? { before: ra } : {}), after: rb, text: `restarted (kubectl rollout restart at ${rb})` });
  return out;
}

function info(rev: unknown): RevisionInfo {
  const meta = metaOf(rev);
  const revision = revisionNumber(rev);
  const cause = changeCause(rev);
  return { name: meta.name, ...(revision !== undefined ? { revision } : {}), ...(meta.creationTimestamp ? { createdAt: meta.creationTimestamp } : {}), ...(cause ? { changeCause: cause } : {}) };
}

/** "6 min before the alert", "2 h 5 min before the alert", "3 min after the alert started", "at the alert start". */
export function relativeToAlert(minutesBefore: number): string {
  const m = Math.round(Math.abs(minutesBefore));
  if (m === 0) return "at the alert start";
  const span = m >= 48 * 60 ? `${Math.round(m / (24 * 60))} days` : m >= 60 ? `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ""}` : `${m} min`;
  return minutesBefore > 0 ? `${span} before the alert` : `${span} after the alert started`;
}

/**
 * The diff between a revision and the one before it (a ReplicaSet or ControllerRevision each), with the
 * rollout time relative to the alert start. The headline reads "revision 7, 6 min before the alert: image
 * vllm/vllm-openai:v0.6.3 → v0.6.4, --max-model-len 8192 → 32768".
 */
export function diffRevisions(current: unknown, previous: unknown, alertStartsAt?: string): RevisionDiff {
  const cur = info(current);
  const prev = previous === undefined ? undefined : info(previous);
  const changes = previous === undefined ? [] : diffTemplates(revisionTemplate(previous), revisionTemplate(current));
  const created = Date.parse(cur.createdAt ?? "");
  const alert = Date.parse(alertStartsAt ?? "");
  const minutesBeforeAlert = Number.isFinite(created) && Number.isFinite(alert) ? Math.round((alert - created) / 60_000) : undefined;

  const name = cur.revision !== undefined ? `revision ${cur.revision}` : cur.name;
  const when = minutesBeforeAlert !== undefined ? `, ${relativeToAlert(minutesBeforeAlert)}` : cur.createdAt ? `, created ${cur.createdAt}` : "";
  const what =
    prev === undefined
      ? "no earlier revision to compare with"
      : changes.length === 0
        ? "no change to the pod template"
        : changes
            .slice(0, HEADLINE_CHANGES)
            .map((c) => cut(c.text, HEADLINE_CHANGE_MAX))
            .join(", ") + (changes.length > HEADLINE_CHANGES ? ` (+${changes.length - HEADLINE_CHANGES} more)` : "");
  const headline = `${name}${when}: ${what}`;
  const lines = changes.slice(0, MAX_CHANGE_LINES).map((c) => (c.container ? `${c.container}: ${c.text}` : c.text));
  if (changes.length > MAX_CHANGE_LINES) lines.push(`… and ${changes.length - MAX_CHANGE_LINES} more changes`);
  return { current: cur, ...(prev ? { previous: prev } : {}), ...(minutesBeforeAlert !== undefined ? { minutesBeforeAlert } : {}), changes, summary: [headline, ...lines] };
}

/** The bundle workload's newest revision against the one before it; undefined without revisions. */
export function diffWorkload(workload: Pick<BundleWorkload, "revisions"> | undefined, alertStartsAt?: string): RevisionDiff | undefined {
  const [current, previous] = sortRevisions(workload?.revisions ?? []);
  return current === undefined ? undefined : diffRevisions(current, previous, alertStartsAt);
}
