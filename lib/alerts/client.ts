import { z } from "zod";
import type { Alert, AlertListResult, AlertSource, SourceError } from "@/lib/alerts/types";
import { formatMatcher, parseFilters } from "@/lib/alerts/matchers";

/** Alertmanager API v2 (`/api/v2/alerts`, `/api/v2/alerts/groups`), validated at the boundary. */

const MAX_KEY = 256;
const MAX_VALUE = 16_384;

// Lenient on sizes (we truncate instead of rejecting a whole list for one long annotation), strict on shape.
const wireLabels = z.record(z.string(), z.string());
const wireAlertSchema = z.object({
  labels: wireLabels,
  annotations: wireLabels.optional(),
  receivers: z.array(z.object({ name: z.string() })).optional(),
  fingerprint: z.string().min(1).max(128),
  startsAt: z.string(),
  updatedAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  status: z.object({
    state: z.enum(["unprocessed", "active", "suppressed"]),
    silencedBy: z.array(z.string()).nullish(),
    inhibitedBy: z.array(z.string()).nullish(),
    mutedBy: z.array(z.string()).nullish(),
  }),
});
export const wireAlertListSchema = z.array(wireAlertSchema);
export const wireAlertGroupListSchema = z.array(
  z.object({ labels: wireLabels, receiver: z.object({ name: z.string() }), alerts: z.array(wireAlertSchema) }),
);
type WireAlert = z.infer<typeof wireAlertSchema>;

export interface AlertGroupFromSource {
  labels: Record<string, string>;
  receiver: string;
  alerts: Alert[];
}

export interface AlertGroupListResult {
  groups: AlertGroupFromSource[];
  errors: SourceError[];
}

export interface AlertmanagerSource extends AlertSource {
  readonly url: string;
  listAlertGroups(options?: { filter?: string[]; signal?: AbortSignal }): Promise<AlertGroupListResult>;
}

export interface AlertmanagerClientOptions {
  timeoutMs: number;
  fetchImpl?: typeof fetch;
}

function bounded(map: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!map) return out;
  for (const [k, v] of Object.entries(map)) {
    if (k.length <= MAX_KEY) out[k] = v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE - 1)}…` : v;
  }
  return out;
}

/** The one conversion from Alertmanager's wire alert to the console's Alert. */
export function normalizeAlert(w: WireAlert, source: string): Alert {
  return {
    fingerprint: w.fingerprint,
    labels: bounded(w.labels),
    annotations: bounded(w.annotations),
    state: w.status.state,
    startsAt: w.startsAt,
    updatedAt: w.updatedAt,
    endsAt: w.endsAt,
    generatorURL: w.generatorURL || undefined,
    silencedBy: w.status.silencedBy ?? [],
    inhibitedBy: w.status.inhibitedBy ?? [],
    receivers: (w.receivers ?? []).map((r) => r.name),
    source,
    sources: [source],
  };
}

function errorCode(e: unknown): string | undefined {
  for (let c: unknown = e; c && typeof c === "object"; c = "cause" in c ? c.cause : undefined) {
    if ("code" in c && typeof c.code === "string") return c.code;
  }
  return undefined;
}

function isAbort(e: unknown, name: "TimeoutError" | "AbortError"): boolean {
  return e instanceof Error && e.name === name;
}

/** Turn a failed request into a sentence naming the Alertmanager and what to check. */
export function describeFailure(name: string, url: string, e: unknown, timeoutMs: number): SourceError {
  const who = `Alertmanager ${name} at ${url}`;
  if (isAbort(e, "TimeoutError")) {
    return {
      source: name,
      message: `${who} did not answer within ${timeoutMs} ms`,
      hint: "Check that it is healthy and reachable from the console, or raise ALERTMANAGER_TIMEOUT_MS",
    };
  }
  if (isAbort(e, "AbortError")) return { source: name, message: `Request to ${who} was cancelled` };
  const code = errorCode(e);
  switch (code) {
    case "ECONNREFUSED":
      return { source: name, message: `${who} refused the connection`, hint: "Check ALERTMANAGER_URL and that it is running" };
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return { source: name, message: `${who}: the host name does not resolve`, hint: "Check the host in ALERTMANAGER_URL and the console's DNS" };
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return { source: name, message: `${who} closed the connection mid-request`, hint: "Check for a proxy or load balancer in between, and Alertmanager's log" };
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "ETIMEDOUT":
      return { source: name, message: `${who} is unreachable from the console`, hint: "Check network policy, firewall and the address in ALERTMANAGER_URL" };
    default:
      return {
        source: name,
        message: `${who} could not be reached${code ? ` (${code})` : ""}`,
        hint: "Check ALERTMANAGER_URL and that Alertmanager is running",
      };
  }
}

type Fetched = { ok: true; data: unknown } | { ok: false; error: SourceError };

/**
 * An AlertSource over one Alertmanager's API v2. It never throws for the Alertmanager's failures: each
 * becomes a SourceError saying what to check.
 * @throws AppError unprocessable when `filter` holds an invalid matcher (the caller's mistake, not the source's).
 */
export function createAlertmanagerSource(endpoint: { name: string; url: string }, options: AlertmanagerClientOptions): AlertmanagerSource {
  const { name } = endpoint;
  const base = endpoint.url.replace(/\/+$/, "");
  const doFetch = options.fetchImpl ?? fetch;

  async function get(path: string, filter: string[] | undefined, signal: AbortSignal | undefined): Promise<Fetched> {
    const url = new URL(`${base}/api/v2${path}`);
    for (const m of parseFilters(filter ?? [])) url.searchParams.append("filter", formatMatcher(m));
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const who = `Alertmanager ${name} at ${base}`;
    let res: Response;
    let text: string;
    try {
      res = await doFetch(url, {
        headers: { accept: "application/json" },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        cache: "no-store",
      });
      text = await res.text();
    } catch (e) {
      return { ok: false, error: describeFailure(name, base, e, options.timeoutMs) };
    }
    if (!res.ok) {
      // Alertmanager's error bodies are a JSON string, e.g. "bad matcher format: foo".
      let detail = "";
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed === "string") detail = `: ${parsed.slice(0, 200)}`;
      } catch {
        // not Alertmanager's error format; the status says enough
      }
      const hint =
        res.status === 400
          ? "Check the filter's matcher syntax"
          : res.status === 401 || res.status === 403
            ? "The Alertmanager sits behind authentication the console does not have; point ALERTMANAGER_URL past the proxy or allow the console"
            : res.status === 404
              ? "Check that ALERTMANAGER_URL is the Alertmanager base URL (without /api/v2) and that it is Alertmanager v0.16 or newer"
              : "Check Alertmanager's own log; it may be overloaded or restarting";
      return { ok: false, error: { source: name, message: `${who} answered HTTP ${res.status}${detail}`, hint } };
    }
    try {
      return { ok: true, data: JSON.parse(text) };
    } catch {
      const type = res.headers.get("content-type")?.split(";")[0] ?? "no content type";
      return {
        ok: false,
        error: {
          source: name,
          message: `${who} answered with something that is not JSON (${type})`,
          hint: "Check that ALERTMANAGER_URL points at Alertmanager itself, not a login page, proxy or other service",
        },
      };
    }
  }

  function wrongShape(issues: z.core.$ZodIssue[]): SourceError {
    const first = issues[0];
    const where = first?.path.length ? ` at ${first.path.join(".")}` : "";
    return {
      source: name,
      message: `Alertmanager ${name} at ${base} answered JSON that is not an API v2 alert list${where}${first ? `: ${first.message}` : ""}`,
      hint: "Check that ALERTMANAGER_URL points at Alertmanager (v0.16 or newer) and not another service",
    };
  }

  return {
    name,
    url: base,
    async listAlerts(opts = {}): Promise<AlertListResult> {
      const r = await get("/alerts", opts.filter, opts.signal);
      if (!r.ok) return { alerts: [], errors: [r.error] };
      const parsed = wireAlertListSchema.safeParse(r.data);
      if (!parsed.success) return { alerts: [], errors: [wrongShape(parsed.error.issues)] };
      return { alerts: parsed.data.map((w) => normalizeAlert(w, name)), errors: [] };
    },
    async listAlertGroups(opts = {}): Promise<AlertGroupListResult> {
      const r = await get("/alerts/groups", opts.filter, opts.signal);
      if (!r.ok) return { groups: [], errors: [r.error] };
      const parsed = wireAlertGroupListSchema.safeParse(r.data);
      if (!parsed.success) return { groups: [], errors: [wrongShape(parsed.error.issues)] };
      return {
        groups: parsed.data.map((g) => ({
          labels: bounded(g.labels),
          receiver: g.receiver.name,
          alerts: g.alerts.map((w) => normalizeAlert(w, name)),
        })),
        errors: [],
      };
    },
  };
}
