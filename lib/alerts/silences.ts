import { z } from "zod";
import type { AlertmanagerEndpoint, Config } from "@/lib/config";
import { AppError, isAppError } from "@/lib/errors";
import type { SourceError } from "@/lib/alerts/types";
import { describeFailure } from "@/lib/alerts/client";
import { compileMatcherRegex, formatMatcher, matchLabels, MAX_MATCHERS, type Matcher } from "@/lib/alerts/matchers";
import { ACK_PREFIX, silenceMatcherSchema, type Silence, type SilenceMatcher } from "@/lib/alerts/silence-api";

/**
 * Alertmanager API v2 silences (`/api/v2/silences`, `/api/v2/silence/{id}`), validated at the boundary.
 * An HA pair gossips silences, so a silence goes to one member of each Alertmanager cluster: the
 * clusters are read from `/api/v2/status` (each member lists its peers by name), as Karma does.
 */

/** Longest silence the console creates: 90 days. */
export const MAX_SILENCE_MINUTES = 90 * 24 * 60;
export const MAX_COMMENT_LENGTH = 1000;
const MAX_VALUE_LENGTH = 1024;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Silence and cluster answers are reused this long (like the alert cache) and dropped after a mutation. */
const CACHE_TTL_MS = 5_000;
const CLUSTER_TTL_MS = 60_000;

const wireSilenceSchema = z.object({
  id: z.string().min(1).max(128),
  matchers: z.array(z.object({ name: z.string(), value: z.string(), isRegex: z.boolean(), isEqual: z.boolean().optional() })),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
  status: z.object({ state: z.enum(["active", "pending", "expired"]) }),
});
const wireSilenceListSchema = z.array(wireSilenceSchema);
const createdSchema = z.object({ silenceID: z.string().min(1).max(128) });
const statusSchema = z.object({
  cluster: z.object({ name: z.string().optional(), status: z.string(), peers: z.array(z.object({ name: z.string() })).nullish() }),
});

/** A validated silence request: what the console sends to Alertmanager (times are set at creation). */
export interface SilenceInput {
  matchers: Matcher[];
  durationMinutes: number;
  comment: string;
}

function invalid(field: string, message: string, hint?: string): AppError {
  return new AppError("unprocessable", message, { hint, details: { field } });
}

function matcherLabel(i: number, name: unknown): string {
  return typeof name === "string" && name ? `Matcher ${i + 1} (${name.slice(0, 60)})` : `Matcher ${i + 1}`;
}

/**
 * Check a silence request from a person and say in words which field is wrong. Regex matchers are
 * compiled with the same RE2 rules (and bounds) as list filters.
 * @throws AppError unprocessable with `details.field` naming the field.
 */
export function validateSilenceInput(raw: { matchers?: unknown; durationMinutes?: unknown; comment?: unknown; ack?: boolean }, ackDurationMinutes: number): SilenceInput {
  if (!Array.isArray(raw.matchers) || raw.matchers.length === 0) {
    throw invalid("matchers", "Matchers are missing: a silence needs at least one, e.g. alertname=\"ModelPodOOMKilled\".");
  }
  if (raw.matchers.length > MAX_MATCHERS) throw invalid("matchers", `Too many matchers: at most ${MAX_MATCHERS}.`);
  const matchers: Matcher[] = raw.matchers.map((m: unknown, i) => {
    const field = `matchers.${i}`;
    const shape = z.object({ name: z.unknown(), op: z.unknown(), value: z.unknown() }).safeParse(m);
    const label = matcherLabel(i, shape.success ? shape.data.name : undefined);
    if (!shape.success) throw invalid(field, `${label} is not a matcher: give a label name, an operator and a value.`);
    const { name, op, value } = shape.data;
    if (typeof name !== "string" || name.trim() === "") throw invalid(`${field}.name`, `${label}: the label name is missing.`);
    if (!LABEL_NAME.test(name)) {
      throw invalid(`${field}.name`, `${label}: the label name must start with a letter or _ and contain only letters, digits and _.`);
    }
    const parsedOp = silenceMatcherSchema.shape.op.safeParse(op);
    if (!parsedOp.success) throw invalid(`${field}.op`, `${label}: the operator must be one of = != =~ !~.`);
    if (typeof value !== "string") throw invalid(`${field}.value`, `${label}: the value is missing.`);
    if (value.length > MAX_VALUE_LENGTH) throw invalid(`${field}.value`, `${label}: the value is longer than ${MAX_VALUE_LENGTH} characters.`);
    const matcher: Matcher = { name, op: parsedOp.data, value };
    if (matcher.op === "=~" || matcher.op === "!~") {
      try {
        compileMatcherRegex(value, formatMatcher(matcher));
      } catch (e) {
        if (isAppError(e)) throw invalid(`${field}.value`, `${label}: ${e.message}`, e.hint);
        throw e;
      }
    }
    return matcher;
  });
  // Alertmanager's own rule: a silence whose every matcher matches an empty label would silence everything.
  if (matchers.every((m) => matchLabels({}, m))) {
    throw invalid(
      "matchers",
      "Matchers would silence every alert: at least one must not match an empty value.",
      'Add an equality matcher such as alertname="…", or a regex that needs at least one character (.+).',
    );
  }

  let durationMinutes = ackDurationMinutes;
  if (raw.durationMinutes !== undefined || !raw.ack) {
    const d = raw.durationMinutes;
    if (d === undefined || d === null || d === "") throw invalid("durationMinutes", "Duration is missing: say for how many minutes to silence.");
    const n = typeof d === "string" ? Number(d) : d;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_SILENCE_MINUTES) {
      throw invalid("durationMinutes", `Duration must be a whole number of minutes from 1 to ${MAX_SILENCE_MINUTES} (90 days).`);
    }
    durationMinutes = n;
  }

  const c = raw.comment ?? "";
  if (typeof c !== "string") throw invalid("comment", "Comment must be text.");
  const text = c.trim();
  if (!raw.ack && text === "") throw invalid("comment", "Comment is missing: say why the alert is silenced (it is shown to everyone).");
  if (text.length > MAX_COMMENT_LENGTH) throw invalid("comment", `Comment is longer than ${MAX_COMMENT_LENGTH} characters.`);
  const comment = raw.ack ? `${ACK_PREFIX}${text || "Acknowledged in the triage console"}` : text;
  return { matchers, durationMinutes, comment };
}

function toWire(m: Matcher) {
  return { name: m.name, value: m.value, isRegex: m.op === "=~" || m.op === "!~", isEqual: m.op === "=" || m.op === "=~" };
}

function fromWire(m: z.infer<typeof wireSilenceSchema>["matchers"][number]): SilenceMatcher {
  const equal = m.isEqual ?? true;
  return { name: m.name, value: m.value, op: m.isRegex ? (equal ? "=~" : "!~") : equal ? "=" : "!=" };
}

export interface SilenceListResult {
  silences: Silence[];
  errors: SourceError[];
}

export interface CreateSilenceResult {
  created: { id: string; source: string }[];
  endsAt: string;
  errors: SourceError[];
}

export interface SilenceClient {
  /** Every configured Alertmanager's name. */
  readonly names: string[];
  /** Silences of every Alertmanager (expired ones included), an HA pair's copies merged by id. */
  listSilences(options?: { signal?: AbortSignal }): Promise<SilenceListResult>;
  /**
   * Create a silence once per Alertmanager cluster among `sources` (all when absent), at the first member
   * that answers.
   * @throws AppError unprocessable (an unknown source, or Alertmanager refused the silence), upstream when none took it.
   */
  createSilence(input: SilenceInput, createdBy: string, options?: { sources?: string[] }): Promise<CreateSilenceResult>;
  /**
   * Expire a silence on each cluster among `sources` (all when absent) that has it.
   * @throws AppError not_found when no Alertmanager has it, upstream when none could be asked.
   */
  expireSilence(id: string, options?: { sources?: string[] }): Promise<{ expired: string[] }>;
  /** Forget cached silences and clusters. */
  invalidate(): void;
}

export interface SilenceClientOptions {
  timeoutMs: number;
  fetchImpl?: typeof fetch;
  now?: () => number;
}

type Answer = { ok: true; status: number; data: unknown } | { ok: false; status?: number; detail?: string; error: SourceError };

/** A silence client over the configured Alertmanagers. */
export function createSilenceClient(endpoints: readonly AlertmanagerEndpoint[], options: SilenceClientOptions): SilenceClient {
  const doFetch = options.fetchImpl ?? fetch;
  const now = options.now ?? Date.now;
  const byName = new Map(endpoints.map((e) => [e.name, { name: e.name, base: e.url.replace(/\/+$/, "") }]));
  let listCache: { at: number; result: Promise<SilenceListResult> } | undefined;
  let clusterCache: { at: number; result: Promise<string[][]> } | undefined;

  function invalidate(): void {
    listCache = undefined;
  }

  async function request(name: string, method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Answer> {
    const ep = byName.get(name);
    if (!ep) throw new AppError("internal", `Unknown Alertmanager ${name}`);
    const timeout = AbortSignal.timeout(options.timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await doFetch(`${ep.base}/api/v2${path}`, {
        method,
        headers: { accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        cache: "no-store",
      });
      text = await res.text();
    } catch (e) {
      return { ok: false, error: describeFailure(name, ep.base, e, options.timeoutMs) };
    }
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (res.ok) return { ok: true, status: res.status, data };
    // Alertmanager's errors are a JSON string ("silence not found"), or {code, message} from its schema check.
    const detail =
      typeof data === "string" ? data : data && typeof data === "object" && "message" in data && typeof data.message === "string" ? data.message : "";
    return {
      ok: false,
      status: res.status,
      detail: detail.slice(0, 300),
      error: {
        source: name,
        message: `Alertmanager ${name} at ${ep.base} answered HTTP ${res.status}${detail ? `: ${detail.slice(0, 200)}` : ""}`,
        hint: "Check Alertmanager's own log; it may be overloaded or restarting",
      },
    };
  }

  /** The configured Alertmanagers grouped by cluster (an HA pair is one group), in configuration order. */
  function clusters(): Promise<string[][]> {
    if (clusterCache && now() - clusterCache.at < CLUSTER_TTL_MS) return clusterCache.result;
    const result = (async () => {
      const names = [...byName.keys()];
      const statuses = await Promise.all(names.map(async (n) => {
        const r = await request(n, "GET", "/status");
        const s = r.ok ? statusSchema.safeParse(r.data) : undefined;
        return s?.success && s.data.cluster.status !== "disabled" ? s.data.cluster : undefined;
      }));
      const parent = names.map((_, i) => i);
      const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i] ?? i)));
      const selfIndex = new Map<string, number>();
      statuses.forEach((c, i) => c?.name && selfIndex.set(c.name, i));
      statuses.forEach((c, i) => {
        for (const p of c?.peers ?? []) {
          const j = selfIndex.get(p.name);
          if (j !== undefined) parent[find(j)] = find(i);
        }
      });
      const groups = new Map<number, string[]>();
      names.forEach((n, i) => groups.set(find(i), [...(groups.get(find(i)) ?? []), n]));
      // An Alertmanager that did not answer is its own group: it is retried at the next mutation.
      if (statuses.some((s) => !s)) clusterCache = undefined;
      return [...groups.values()];
    })();
    clusterCache = { at: now(), result };
    return result;
  }

  /** For each cluster holding one of `sources`: its members, the named sources first. */
  async function targets(sources: string[] | undefined): Promise<string[][]> {
    for (const s of sources ?? []) {
      if (!byName.has(s)) {
        throw invalid("sources", `Alertmanager "${s.slice(0, 128)}" is not configured here.`, `Configured: ${[...byName.keys()].join(", ")} (ALERTMANAGER_URL).`);
      }
    }
    const wanted = sources?.length ? sources : [...byName.keys()];
    return (await clusters())
      .filter((members) => members.some((m) => wanted.includes(m)))
      .map((members) => [...members.filter((m) => wanted.includes(m)), ...members.filter((m) => !wanted.includes(m))]);
  }

  async function fetchList(signal?: AbortSignal): Promise<SilenceListResult> {
    const answers = await Promise.all([...byName.keys()].map(async (n) => ({ n, r: await request(n, "GET", "/silences", undefined, signal) })));
    const byId = new Map<string, Silence>();
    const errors: SourceError[] = [];
    for (const { n, r } of answers) {
      if (!r.ok) {
        errors.push(r.error);
        continue;
      }
      const parsed = wireSilenceListSchema.safeParse(r.data);
      if (!parsed.success) {
        errors.push({ source: n, message: `Alertmanager ${n} answered JSON that is not an API v2 silence list`, hint: "Check that ALERTMANAGER_URL points at Alertmanager (v0.16 or newer)" });
        continue;
      }
      for (const w of parsed.data) {
        const seen = byId.get(w.id);
        if (seen) {
          if (!seen.sources.includes(n)) seen.sources.push(n);
          continue;
        }
        byId.set(w.id, {
          id: w.id,
          matchers: w.matchers.map(fromWire),
          startsAt: w.startsAt,
          endsAt: w.endsAt,
          createdBy: w.createdBy,
          comment: w.comment,
          state: w.status.state,
          ack: w.comment.startsWith(ACK_PREFIX),
          sources: [n],
        });
      }
    }
    return { silences: [...byId.values()], errors };
  }

  return {
    names: [...byName.keys()],
    listSilences() {
      if (listCache && now() - listCache.at < CACHE_TTL_MS) return listCache.result;
      // Shared by concurrent callers, so it takes no caller's signal; the client's timeout bounds it.
      const entry = { at: now(), result: fetchList() };
      listCache = entry;
      return entry.result;
    },

    async createSilence(input, createdBy, opts = {}) {
      const start = now();
      const endsAt = new Date(start + input.durationMinutes * 60_000).toISOString();
      const body = {
        matchers: input.matchers.map(toWire),
        startsAt: new Date(start).toISOString(),
        endsAt,
        createdBy: createdBy.slice(0, 256),
        comment: input.comment,
      };
      const created: CreateSilenceResult["created"] = [];
      const errors: SourceError[] = [];
      for (const members of await targets(opts.sources)) {
        for (const m of members) {
          const r = await request(m, "POST", "/silences", body);
          if (r.ok) {
            const id = createdSchema.safeParse(r.data);
            if (id.success) {
              created.push({ id: id.data.silenceID, source: m });
              break;
            }
            errors.push({ source: m, message: `Alertmanager ${m} accepted the silence but sent no silence id`, hint: "Check that ALERTMANAGER_URL points at Alertmanager itself" });
            continue;
          }
          if (r.status !== undefined && r.status >= 400 && r.status < 500) {
            // The same silence would be refused by its peer too: this is about the request.
            throw new AppError("unprocessable", `Alertmanager ${m} refused the silence${r.detail ? `: ${r.detail}` : ""}.`, {
              hint: "Check the matchers and the duration.",
              details: { field: "matchers" },
            });
          }
          errors.push(r.error);
        }
      }
      invalidate();
      if (created.length === 0) {
        throw new AppError("upstream", `No Alertmanager took the silence: ${errors.map((e) => e.message).join("; ") || "none configured"}.`, {
          hint: errors[0]?.hint ?? "Check ALERTMANAGER_URL",
        });
      }
      return { created, endsAt, errors: errors.filter((e) => !created.some((c) => c.source === e.source)) };
    },

    async expireSilence(id, opts = {}) {
      const expired: string[] = [];
      const errors: SourceError[] = [];
      let notFound = 0;
      for (const members of await targets(opts.sources)) {
        for (const m of members) {
          const r = await request(m, "DELETE", `/silence/${encodeURIComponent(id)}`);
          if (r.ok) {
            expired.push(m);
            break;
          }
          // 0.25 answers 500 "silence not found" for an unknown id, newer versions 404.
          if (r.status === 404 || /silence not found/i.test(r.detail ?? "")) {
            notFound++;
            continue;
          }
          if (r.status === 422 || r.status === 400) throw invalid("id", `Silence id "${id.slice(0, 64)}" is not one Alertmanager accepts (a UUID).`);
          errors.push(r.error);
        }
      }
      invalidate();
      if (expired.length) return { expired };
      if (errors.length === 0 && notFound > 0) {
        throw new AppError("not_found", `Silence ${id.slice(0, 64)} is not on any Alertmanager.`, { hint: "It may have been deleted already; reload the silences page." });
      }
      throw new AppError("upstream", `Could not expire silence ${id.slice(0, 64)}: ${errors.map((e) => e.message).join("; ") || "no Alertmanager configured"}.`, {
        hint: errors[0]?.hint ?? "Check ALERTMANAGER_URL",
      });
    },

    invalidate,
  };
}

function unavailableClient(message: string, hint: string, listError?: SourceError): SilenceClient {
  const fail = async (): Promise<never> => {
    throw new AppError("not_configured", message, { hint });
  };
  return {
    names: [],
    listSilences: async () => ({ silences: [], errors: listError ? [listError] : [] }),
    createSilence: fail,
    expireSilence: fail,
    invalidate: () => undefined,
  };
}

const clients = new Map<string, SilenceClient>();

/** The process's silence client for this configuration (one per configuration, so caches are shared). */
export function getSilenceClient(config: Config): SilenceClient {
  const key = JSON.stringify([config.demo, config.alertmanagers, config.alertmanagerTimeoutMs]);
  let client = clients.get(key);
  if (!client) {
    const hint = "Set ALERTMANAGER_URL=http://alertmanager:9093 (comma-separate several, name=url to name them)";
    if (config.demo) client = unavailableClient("The demo has no Alertmanager to silence alerts in.", hint);
    else if (config.alertmanagers.length === 0) {
      client = unavailableClient("No Alertmanager configured.", hint, { source: "configuration", message: "No Alertmanager configured", hint });
    } else client = createSilenceClient(config.alertmanagers, { timeoutMs: config.alertmanagerTimeoutMs });
    clients.set(key, client);
  }
  return client;
}
