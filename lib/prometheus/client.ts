import { readBodyCapped } from "@/lib/http/body";
import { z } from "zod";
import { AppError, isAppError, type ErrorCode } from "@/lib/errors";
import { sampleSchema, type Sample } from "@/lib/prometheus/schema";

/**
 * A small client for Prometheus's HTTP API v1 (and what speaks it: Thanos Querier, Mimir, managed
 * Prometheus): `/api/v1/query_range` and `/api/v1/query`, POSTed form-encoded as Grafana does so long
 * queries fit. Answers are validated with zod here, at the boundary; every failure is an AppError whose
 * message and hint say what to change, with `details.kind` telling failures apart.
 */

export interface PrometheusClientOptions {
  /** Base URL without /api/v1 (may carry a prefix such as Mimir's /prometheus). */
  url: string;
  timeoutMs: number;
  bearerToken?: string;
  /** user:password */
  basicAuth?: string;
  /** Where the URL came from, for the hints: PROMETHEUS_URL, or the alert's generatorURL. */
  origin?: "config" | "generatorURL";
  /** Largest answer read, in bytes (default 8 MiB). */
  maxBytes?: number;
  /** Series kept per answer; the rest are dropped with a warning (default 64). */
  maxSeries?: number;
  /** For tests. */
  fetch?: typeof fetch;
}

const FAILURE_KINDS = [
  "unreachable",
  "timeout",
  "unauthorized",
  "not_ready",
  "not_found",
  "bad_data",
  "too_many_points",
  "execution",
  "too_many_samples",
  "query_timeout",
  "server_error",
  "invalid_response",
  "too_large",
] as const;

/** Why a Prometheus call failed, in `AppError.details.kind`. */
export type PrometheusFailureKind = (typeof FAILURE_KINDS)[number];

export interface MatrixSeries {
  metric: Record<string, string>;
  values: Sample[];
}

export interface RangeResult {
  series: MatrixSeries[];
  /** Prometheus's warnings (partial answers from Thanos, truncation), and ours (series dropped). */
  warnings: string[];
}

export interface InstantSeries {
  metric: Record<string, string>;
  value: Sample;
}

export interface InstantResult {
  series: InstantSeries[];
  warnings: string[];
}

export interface RangeQuery {
  query: string;
  /** Unix seconds. */
  start: number;
  end: number;
  stepSeconds: number;
  signal?: AbortSignal;
}

export interface PrometheusClient {
  readonly url: string;
  /**
   * Evaluate `query` over a range.
   * @throws AppError with `details.kind` (a PrometheusFailureKind) when Prometheus cannot answer.
   */
  queryRange(q: RangeQuery): Promise<RangeResult>;
  /**
   * Evaluate `query` at one instant (default now).
   * @throws AppError with `details.kind` when Prometheus cannot answer.
   */
  query(query: string, options?: { time?: number; signal?: AbortSignal }): Promise<InstantResult>;
}

const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;
const DEFAULT_MAX_SERIES = 64;
const ERROR_TEXT_MAX = 300;

const labelsSchema = z.record(z.string(), z.string());
const warningsSchema = z.array(z.string()).optional();

const envelopeSchema = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("success"),
    data: z.object({ resultType: z.string(), result: z.unknown() }),
    warnings: warningsSchema,
    infos: warningsSchema,
  }),
  z.object({ status: z.literal("error"), errorType: z.string(), error: z.string(), warnings: warningsSchema }),
]);

const matrixSchema = z.array(z.object({ metric: labelsSchema, values: z.array(sampleSchema) }));
const vectorSchema = z.array(z.object({ metric: labelsSchema, value: sampleSchema }));

/** The step, in seconds, that keeps a range of `rangeSeconds` at or under `maxPoints` points: a round value when one fits. */
export function chooseStep(rangeSeconds: number, maxPoints = 300): number {
  const range = Math.max(1, rangeSeconds);
  const points = Math.max(2, Math.floor(maxPoints));
  const nice = [15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  for (const s of nice) if (Math.floor(range / s) + 1 <= points) return s;
  return Math.ceil(range / (points - 1));
}

/** The failure kind of an error thrown by this client, or undefined for anything else. */
export function prometheusFailureKind(e: unknown): PrometheusFailureKind | undefined {
  if (!isAppError(e)) return undefined;
  const kind = e.details?.kind;
  return FAILURE_KINDS.find((k) => k === kind);
}

/** Untrusted text from the server, cut to one short line for a message. */
function clip(text: string): string {
  const one = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return one.length > ERROR_TEXT_MAX ? `${one.slice(0, ERROR_TEXT_MAX)}…` : one;
}

function fail(code: ErrorCode, kind: PrometheusFailureKind, message: string, hint: string, extra: Record<string, unknown> = {}, cause?: unknown): AppError {
  return new AppError(code, message, { hint, cause, details: { kind, ...extra } });
}

function authHeader(o: PrometheusClientOptions): string | undefined {
  if (o.bearerToken) return `Bearer ${o.bearerToken}`;
  if (o.basicAuth) return `Basic ${Buffer.from(o.basicAuth).toString("base64")}`;
  return undefined;
}

function readCapped(res: Response, maxBytes: number): Promise<string | undefined> {
  return readBodyCapped(res.body, maxBytes, res.headers.get("content-length"));
}

function networkCause(e: unknown): string {
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined;
  const message = cause instanceof Error ? cause.message : String(cause);
  return clip(code && !message.includes(code) ? `${code}: ${message}` : message);
}

/** Build a client for one Prometheus. Credentials go only to `url`. */
export function createPrometheusClient(options: PrometheusClientOptions): PrometheusClient {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
  const fromAlert = options.origin === "generatorURL";
  const fixUrl = fromAlert
    ? "the alert's generatorURL points there: set PROMETHEUS_URL to a Prometheus the console can reach"
    : "check PROMETHEUS_URL and that the console can reach that address";

  async function post(path: string, form: Record<string, string>, signal?: AbortSignal): Promise<{ resultType: string; result: unknown; warnings: string[] }> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const combined = signal ? AbortSignal.any([timeout, signal]) : timeout;
    const headers: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    };
    const auth = authHeader(options);
    if (auth) headers.authorization = auth;
    const endpoint = `${base}${path}`;
    // Prometheus stops evaluating when its own timeout passes, so an abandoned query does not linger there.
    const body = new URLSearchParams({ ...form, timeout: `${Math.max(1, Math.ceil(options.timeoutMs / 1000))}s` });

    let res: Response;
    let text: string | undefined;
    try {
      res = await doFetch(endpoint, { method: "POST", headers, body, signal: combined, redirect: "error" });
      text = await readCapped(res, maxBytes);
    } catch (e) {
      if (timeout.aborted) {
        throw fail("timeout", "timeout", `Prometheus at ${base} did not answer within ${options.timeoutMs} ms`,
          "raise PROMETHEUS_TIMEOUT_MS, or lower METRICS_WINDOW_HOURS so each query reads less", {}, e);
      }
      if (signal?.aborted) throw e;
      throw fail("unavailable", "unreachable", `cannot reach Prometheus at ${base} (${networkCause(e)})`, fixUrl, {}, e);
    }
    if (text === undefined) {
      throw fail("upstream", "too_large", `Prometheus at ${base} answered more than ${Math.round(maxBytes / 1048576)} MiB for one query`,
        "a query matched far more series than one pod has: report it with the query (the console adds the pod's namespace and name to every query)");
    }

    const status = res.status;
    if (status === 401 || status === 403) {
      const hint = fromAlert
        ? "credentials are never sent to a Prometheus found through an alert's generatorURL: set PROMETHEUS_URL, and PROMETHEUS_BEARER_TOKEN or PROMETHEUS_BASIC_AUTH"
        : options.bearerToken || options.basicAuth
          ? "the credentials in PROMETHEUS_BEARER_TOKEN / PROMETHEUS_BASIC_AUTH were refused: renew them, or check that they may read this tenant"
          : "set PROMETHEUS_BEARER_TOKEN or PROMETHEUS_BASIC_AUTH (user:password) to credentials the gateway accepts";
      throw fail("upstream", "unauthorized", `Prometheus at ${base} refused the request (${status}${text ? `: ${clip(text)}` : ""})`, hint, { status });
    }

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = envelopeSchema.safeParse(json);
    if (!parsed.success) {
      if (status === 503) {
        throw fail("unavailable", "not_ready", `Prometheus at ${base} is not ready (503: starting up or shutting down)`, "retry in a minute", { status });
      }
      if (status === 404) {
        throw fail("upstream", "not_found", `no Prometheus API at ${endpoint} (404)`,
          fromAlert ? fixUrl : "PROMETHEUS_URL must be the base URL that serves /api/v1 (for Mimir include its /prometheus prefix)", { status });
      }
      throw fail("upstream", status >= 500 ? "server_error" : "invalid_response",
        `Prometheus at ${base} answered ${status} with something that is not the Prometheus API${text ? ` (${clip(text)})` : ""}`, fixUrl, { status });
    }
    const env = parsed.data;
    if (env.status === "error") {
      throw apiError(base, env.errorType, env.error, status);
    }
    return { resultType: env.data.resultType, result: env.data.result, warnings: [...(env.warnings ?? [])].map(clip) };
  }

  function keep<T>(series: T[], warnings: string[]): T[] {
    if (series.length <= maxSeries) return series;
    warnings.push(`${series.length - maxSeries} of ${series.length} series dropped: the console keeps ${maxSeries} per query`);
    return series.slice(0, maxSeries);
  }

  return {
    url: base,
    async queryRange(q) {
      if (!(q.end >= q.start)) throw new Error(`queryRange: end (${q.end}) is before start (${q.start})`);
      if (!(q.stepSeconds > 0)) throw new Error(`queryRange: step must be positive, got ${q.stepSeconds}`);
      const r = await post("/api/v1/query_range", {
        query: q.query,
        start: String(q.start),
        end: String(q.end),
        step: String(q.stepSeconds),
      }, q.signal);
      const matrix = r.resultType === "matrix" ? matrixSchema.safeParse(r.result) : undefined;
      if (!matrix?.success) {
        throw fail("upstream", "invalid_response", `Prometheus at ${base} answered a range query with a ${clip(r.resultType)} result that is not a valid matrix`, fixUrl);
      }
      return { series: keep(matrix.data, r.warnings), warnings: r.warnings };
    },
    async query(query, o = {}) {
      const r = await post("/api/v1/query", { query, ...(o.time !== undefined ? { time: String(o.time) } : {}) }, o.signal);
      if (r.resultType === "scalar") {
        const s = sampleSchema.safeParse(r.result);
        if (s.success) return { series: [{ metric: {}, value: s.data }], warnings: r.warnings };
      } else if (r.resultType === "vector") {
        const v = vectorSchema.safeParse(r.result);
        if (v.success) return { series: keep(v.data, r.warnings), warnings: r.warnings };
      }
      throw fail("upstream", "invalid_response", `Prometheus at ${base} answered an instant query with an unexpected ${clip(r.resultType)} result`, fixUrl);
    },
  };
}

function apiError(base: string, errorType: string, error: string, status: number): AppError {
  const text = clip(error);
  const extra = { errorType: clip(errorType), status };
  if (errorType === "bad_data" && /maximum resolution|too many points/i.test(error)) {
    return fail("upstream", "too_many_points", `Prometheus at ${base} refused the query: too many points per series (${text})`,
      "the console keeps each series near 300 points; a front-end with a lower limit needs a smaller METRICS_WINDOW_HOURS", extra);
  }
  if (errorType === "bad_data") {
    return fail("upstream", "bad_data", `Prometheus at ${base} rejected a query as malformed (${text})`,
      "a query the console built is wrong for this Prometheus: report it with the query (an alert expression from generatorURL is queried as written)", extra);
  }
  if (errorType === "execution" && /too many samples/i.test(error)) {
    return fail("upstream", "too_many_samples", `Prometheus at ${base} would load too many samples for a query (${text})`,
      "lower METRICS_WINDOW_HOURS, or raise Prometheus's --query.max-samples", extra);
  }
  if (errorType === "execution") {
    return fail("upstream", "execution", `Prometheus at ${base} could not evaluate a query (${text})`,
      "the series it matched cannot be combined that way: report it with the query", extra);
  }
  if (errorType === "timeout" || errorType === "canceled") {
    return fail("timeout", "query_timeout", `Prometheus at ${base} gave up evaluating a query (${errorType}: ${text})`,
      "raise PROMETHEUS_TIMEOUT_MS (the console passes it as the query timeout) or lower METRICS_WINDOW_HOURS", extra);
  }
  if (errorType === "unavailable") {
    return fail("unavailable", "not_ready", `Prometheus at ${base} is unavailable (${text})`, "retry in a minute", extra);
  }
  return fail("upstream", "server_error", `Prometheus at ${base} failed a query (${clip(errorType)}: ${text})`,
    "check the Prometheus server's logs; retry in a minute", extra);
}
