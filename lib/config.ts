import { z } from "zod";
// Relative: next.config.ts and scripts/start.mjs load this file outside the `@/` alias.
import { hasBrand, setBrand } from "./errors";
import { databaseUrlProblem } from "./store/database-url";

/**
 * The one reader of process.env. Every setting is validated here; a bad value stops start-up with a
 * message that names the variable and says how to fix it.
 */

const DEFAULT_GEMINI_MODEL = "gemini-3.8-flash";

const bool = (name: string, dflt: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return dflt;
      const s = v.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(s)) return true;
      if (["0", "false", "no", "off"].includes(s)) return false;
      ctx.addIssue({ code: "custom", message: `${name} must be true or false, got "${v}"` });
      return z.NEVER;
    });

const int = (name: string, dflt: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `${name} must be an integer from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const httpUrl = (name: string) =>
  optionalString.refine((v) => v === undefined || /^https?:\/\/[^\s]+$/i.test(v), {
    message: `${name} must be an http(s) URL such as https://example.com`,
  });

export interface AlertmanagerEndpoint {
  name: string;
  url: string;
}

/** One `url` or `key=url` entry of a comma-separated list (a `/` before the `=` means it belongs to the URL). */
function splitKeyedUrl(raw: string): { key?: string; url: string } {
  const eq = raw.indexOf("=");
  const keyed = eq > 0 && !raw.slice(0, eq).includes("/");
  return { key: keyed ? raw.slice(0, eq).trim() : undefined, url: (keyed ? raw.slice(eq + 1) : raw).trim().replace(/\/+$/, "") };
}

function parseAlertmanagers(v: string | undefined, ctx: z.RefinementCtx): AlertmanagerEndpoint[] {
  if (!v) return [];
  const out: AlertmanagerEndpoint[] = [];
  for (const raw of v.split(",").map((s) => s.trim()).filter(Boolean)) {
    const { key, url } = splitKeyedUrl(raw);
    const name = key ?? "";
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      ctx.addIssue({
        code: "custom",
        message: `ALERTMANAGER_URL entry "${raw}" is not a URL: use url or name=url, comma-separated (e.g. prod=http://alertmanager:9093)`,
      });
      continue;
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      ctx.addIssue({ code: "custom", message: `ALERTMANAGER_URL entry "${raw}" must use http or https` });
      continue;
    }
    out.push({ name: name || parsed.host, url });
  }
  const names = new Set<string>();
  for (const e of out) {
    if (names.has(e.name)) {
      ctx.addIssue({ code: "custom", message: `ALERTMANAGER_URL names "${e.name}" twice: give each Alertmanager its own name=url` });
    }
    names.add(e.name);
  }
  return out;
}

/** An ALERTMANAGER_PUBLIC_URL entry: the UI address a person's browser reaches, for the Alertmanager named `name`. */
interface PublicUrlEntry {
  name?: string;
  url: string;
}

function parsePublicUrls(v: string | undefined, ctx: z.RefinementCtx): PublicUrlEntry[] {
  if (!v) return [];
  const out: PublicUrlEntry[] = [];
  for (const raw of v.split(",").map((s) => s.trim()).filter(Boolean)) {
    const { key, url } = splitKeyedUrl(raw);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      ctx.addIssue({
        code: "custom",
        message: `ALERTMANAGER_PUBLIC_URL entry "${raw}" is not a URL: use url (one Alertmanager) or name=url with the names of ALERTMANAGER_URL, comma-separated (e.g. prod=https://alertmanager.example.com)`,
      });
      continue;
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      ctx.addIssue({ code: "custom", message: `ALERTMANAGER_PUBLIC_URL entry "${raw}" must use http or https` });
      continue;
    }
    if (parsed.username || parsed.password || parsed.search || parsed.hash) {
      ctx.addIssue({ code: "custom", message: `ALERTMANAGER_PUBLIC_URL entry for ${parsed.host} must be a plain base URL (the UI's address, with its route prefix if any): no credentials, ?query or #fragment` });
      continue;
    }
    out.push(key ? { name: key, url } : { url });
  }
  return out;
}

/**
 * Each public URL under the name of the Alertmanager it belongs to (`sources`: the ALERTMANAGER_URL names,
 * or the demo's one source). An unnamed URL belongs to the only source; names must be known.
 */
function resolvePublicUrls(entries: readonly PublicUrlEntry[], sources: readonly string[]): { urls: Record<string, string>; problems: string[] } {
  const urls: Record<string, string> = {};
  const problems: string[] = [];
  for (const e of entries) {
    const name = e.name ?? (sources.length === 1 ? sources[0] : undefined);
    if (name === undefined) {
      problems.push(
        sources.length === 0
          ? "ALERTMANAGER_PUBLIC_URL is set but ALERTMANAGER_URL is not: set ALERTMANAGER_URL too, or remove ALERTMANAGER_PUBLIC_URL"
          : `ALERTMANAGER_PUBLIC_URL entry ${e.url} has no name but there are ${sources.length} Alertmanagers: write name=url with one of ${sources.join(", ")}`,
      );
    } else if (!sources.includes(name)) {
      problems.push(`ALERTMANAGER_PUBLIC_URL names "${name}", which is not an Alertmanager of ALERTMANAGER_URL: use one of ${sources.join(", ") || "(none configured)"}`);
    } else if (Object.hasOwn(urls, name)) {
      problems.push(`ALERTMANAGER_PUBLIC_URL gives "${name}" two URLs: one public URL per Alertmanager`);
    } else {
      urls[name] = e.url;
    }
  }
  return { urls, problems };
}

/** The alert sources public URLs may name: the configured Alertmanagers, or the demo's one source. */
const publicUrlSources = (c: { DEMO: boolean; ALERTMANAGER_URL: AlertmanagerEndpoint[] }) => (c.DEMO ? ["demo"] : c.ALERTMANAGER_URL.map((a) => a.name));

/** One Prometheus (or Thanos, Mimir, a managed one): `cluster` unset means the default, for any alert. */
export interface PrometheusEndpoint {
  cluster?: string;
  /** Base URL without a trailing slash; may carry a path prefix (Mimir's /prometheus). */
  url: string;
}

function parsePrometheusUrls(v: string | undefined, ctx: z.RefinementCtx): PrometheusEndpoint[] {
  if (!v || v.toLowerCase() === "none") return [];
  const out: PrometheusEndpoint[] = [];
  for (const raw of v.split(",").map((s) => s.trim()).filter(Boolean)) {
    const { key: cluster, url } = splitKeyedUrl(raw);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      ctx.addIssue({
        code: "custom",
        message: `PROMETHEUS_URL entry "${raw}" is not a URL: use url or cluster=url, comma-separated (e.g. prod=http://prometheus.monitoring:9090)`,
      });
      continue;
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      ctx.addIssue({ code: "custom", message: `PROMETHEUS_URL entry "${raw}" must use http or https` });
      continue;
    }
    if (parsed.username || parsed.password || parsed.search || parsed.hash) {
      ctx.addIssue({
        code: "custom",
        message: `PROMETHEUS_URL entry for ${parsed.host} must be a plain base URL: put credentials in PROMETHEUS_BEARER_TOKEN or PROMETHEUS_BASIC_AUTH, and no ?query or #fragment`,
      });
      continue;
    }
    out.push(cluster ? { cluster, url } : { url });
  }
  const seen = new Set<string>();
  for (const e of out) {
    const key = e.cluster ?? "";
    if (seen.has(key)) {
      ctx.addIssue({
        code: "custom",
        message: e.cluster
          ? `PROMETHEUS_URL names cluster "${e.cluster}" twice: one Prometheus per cluster`
          : "PROMETHEUS_URL has two entries without a cluster: give at most one default, the others as cluster=url",
      });
    }
    seen.add(key);
  }
  return out;
}

function parseMap(name: string, example: string) {
  return optionalString.transform((v, ctx) => {
    const map: Record<string, string> = {};
    if (!v) return map;
    for (const pair of v.split(",").map((s) => s.trim()).filter(Boolean)) {
      const eq = pair.indexOf("=");
      if (eq <= 0 || eq === pair.length - 1) {
        ctx.addIssue({ code: "custom", message: `${name} entry "${pair}" must be key=value (e.g. ${example})` });
        continue;
      }
      map[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
    }
    return map;
  });
}

const list = optionalString.transform((v) =>
  v ? v.split(",").map((s) => s.trim()).filter(Boolean) : ([] as string[]),
);

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).optional(),
    DEMO: bool("DEMO", false),
    HOST: optionalString.transform((v) => v ?? "127.0.0.1"),
    PORT: int("PORT", 3000, 1, 65535),
    CONSOLE_URL: httpUrl("CONSOLE_URL"),
    LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).optional().default("info"),

    ALERTMANAGER_URL: optionalString.transform(parseAlertmanagers),
    ALERTMANAGER_PUBLIC_URL: optionalString.transform(parsePublicUrls),
    ALERTMANAGER_TIMEOUT_MS: int("ALERTMANAGER_TIMEOUT_MS", 5000, 100, 120_000),
    ACK_DURATION_MINUTES: int("ACK_DURATION_MINUTES", 15, 1, 7 * 24 * 60),

    KUBECONFIG: optionalString,
    CLUSTER_CONTEXTS: parseMap("CLUSTER_CONTEXTS", "prod=gke_acme_europe-west1_prod,dev=k3d-dev,prod-eu=in-cluster"),
    CLUSTER_NAME: optionalString.refine((v) => v === undefined || v.length <= 253, {
      message: "CLUSTER_NAME must be at most 253 characters: the value of the alerts' cluster label for this cluster",
    }),
    KUBE_TIMEOUT_MS: int("KUBE_TIMEOUT_MS", 10_000, 100, 120_000),
    LOG_TAIL_LINES: int("LOG_TAIL_LINES", 1000, 10, 100_000),
    LOG_LIMIT_BYTES: int("LOG_LIMIT_BYTES", 2 * 1024 * 1024, 1024, 64 * 1024 * 1024),

    PROMETHEUS_URL: optionalString.transform((v, ctx) => ({
      endpoints: parsePrometheusUrls(v, ctx),
      fromGeneratorURL: v?.toLowerCase() !== "none",
    })),
    PROMETHEUS_TIMEOUT_MS: int("PROMETHEUS_TIMEOUT_MS", 5000, 100, 120_000),
    PROMETHEUS_BEARER_TOKEN: optionalString,
    PROMETHEUS_BASIC_AUTH: optionalString.refine((v) => v === undefined || /^[^:]+:.+$/.test(v), {
      message: "PROMETHEUS_BASIC_AUTH must be user:password",
    }),
    METRICS_WINDOW_HOURS: int("METRICS_WINDOW_HOURS", 3, 1, 48),

    GEMINI_API_KEY: optionalString,
    GEMINI_MODEL: optionalString.transform((v) => v ?? DEFAULT_GEMINI_MODEL),
    GEMINI_BASE_URL: httpUrl("GEMINI_BASE_URL"),
    GEMINI_TIMEOUT_MS: int("GEMINI_TIMEOUT_MS", 60_000, 1000, 600_000),
    GEMINI_CONCURRENCY: int("GEMINI_CONCURRENCY", 2, 1, 64),
    LOG_BUDGET_TOKENS: int("LOG_BUDGET_TOKENS", 8000, 500, 500_000),

    GITHUB_TOKEN: optionalString,
    GITHUB_REPOSITORY: optionalString.refine((v) => v === undefined || /^[\w.-]+\/[\w.-]+$/.test(v), {
      message: "GITHUB_REPOSITORY must be owner/repo, e.g. acme/ml-incidents",
    }),
    GITHUB_API_URL: httpUrl("GITHUB_API_URL"),
    GITHUB_WORKFLOW: optionalString.transform((v) => v ?? "ai-log-analysis.yml").refine((v) => /^(?:[\w.-]+\.ya?ml|\d{1,20})$/.test(v), {
      message: "GITHUB_WORKFLOW must be the workflow's file name under .github/workflows (e.g. ai-log-analysis.yml) or its numeric id",
    }),
    GITHUB_WORKFLOW_REF: optionalString.transform((v) => v ?? "main").refine((v) => v.length <= 255 && /^[^\s~^:?*[\\]+$/.test(v), {
      message: "GITHUB_WORKFLOW_REF must be a branch or tag name (e.g. main, or refs/tags/v1) of at most 255 characters",
    }),

    DATABASE_URL: optionalString.transform((v, ctx) => {
      const url = v ?? "file:./data/triage.sqlite";
      const problem = databaseUrlProblem(url);
      if (problem) {
        ctx.addIssue({ code: "custom", message: problem });
        return z.NEVER;
      }
      return url;
    }),
    DATABASE_POOL_SIZE: int("DATABASE_POOL_SIZE", 10, 2, 500),
    RETENTION_DAYS: int("RETENTION_DAYS", 90, 0, 36_500),
    RETENTION_MAX_ANALYSES: int("RETENTION_MAX_ANALYSES", 10_000, 0, 10_000_000),
    RETENTION_AUDIT_DAYS: int("RETENTION_AUDIT_DAYS", 365, 0, 36_500),
    RETENTION_PRUNE_INTERVAL_MINUTES: int("RETENTION_PRUNE_INTERVAL_MINUTES", 60, 1, 7 * 24 * 60),
    HISTORY_DAYS: int("HISTORY_DAYS", 30, 0, 36_500),
    HISTORY_MAX_ROWS: int("HISTORY_MAX_ROWS", 100_000, 0, 100_000_000),

    WEBHOOK_BEARER_TOKEN: optionalString,
    WEBHOOK_BASIC_AUTH: optionalString.refine((v) => v === undefined || /^[^:]+:.+$/.test(v), {
      message: "WEBHOOK_BASIC_AUTH must be user:password",
    }),
    WEBHOOK_MODE: z.enum(["analyze", "dispatch"], { message: "WEBHOOK_MODE must be analyze (the console analyzes) or dispatch (each alert starts the GITHUB_WORKFLOW workflow)" }).optional().default("analyze"),
    WEBHOOK_LISTEN: optionalString.transform((v, ctx) => {
      if (!v) return undefined;
      const m = /^(?:(\[[0-9a-fA-F:]+\]|[\w.-]+)?:)?(\d{1,5})$/.exec(v);
      const port = Number(m?.[2]);
      if (!m || port < 1 || port > 65535) {
        ctx.addIssue({ code: "custom", message: `WEBHOOK_LISTEN must be host:port or port (e.g. 0.0.0.0:9095; a bare port listens on 127.0.0.1), got "${v}"` });
        return z.NEVER;
      }
      return { host: (m[1] ?? "127.0.0.1").replace(/^\[|\]$/g, ""), port };
    }),
    AUTO_ANALYZE: bool("AUTO_ANALYZE", true),
    AUTO_ANALYZE_SEVERITIES: list,
    AUTO_ANALYZE_ALERTS: list,
    AUTO_FILE_SEVERITIES: optionalString.transform((v) =>
      (v ?? "critical").split(",").map((s) => s.trim()).filter((s) => s && s !== "none"),
    ),
    ANALYSIS_COOLDOWN_SECONDS: int("ANALYSIS_COOLDOWN_SECONDS", 900, 0, 7 * 86400),
    CLOSE_ISSUE_ON_RESOLVE: bool("CLOSE_ISSUE_ON_RESOLVE", false),

    AUTH_MODE: z.enum(["proxy", "token", "none"]).optional().default("none"),
    AUTH_TOKEN: optionalString,
    AUTH_TRUSTED_PROXIES: list,
    AUTH_PROXY_HEADER: optionalString.transform((v) => (v ?? "x-auth-request-email").toLowerCase()),
    AUTH_SESSION_HOURS: int("AUTH_SESSION_HOURS", 12, 1, 24 * 30),
    METRICS_BEARER_TOKEN: optionalString,
    RATE_LIMIT_PER_MINUTE: int("RATE_LIMIT_PER_MINUTE", 10, 1, 10_000),
    // Internal, set in the server process by scripts/peer-address.mjs (never by hand): the per-process
    // secret that signs each request's TCP peer, and the address the console's socket is bound to.
    TRIAGE_PEER_SECRET: optionalString,
    TRIAGE_LISTEN_ADDRESS: optionalString,
  })
  .superRefine((c, ctx) => {
    for (const message of resolvePublicUrls(c.ALERTMANAGER_PUBLIC_URL, publicUrlSources(c)).problems) {
      ctx.addIssue({ code: "custom", path: ["ALERTMANAGER_PUBLIC_URL"], message });
    }
    if (c.AUTH_MODE === "token" && (!c.AUTH_TOKEN || c.AUTH_TOKEN.length < 16)) {
      ctx.addIssue({
        code: "custom",
        path: ["AUTH_TOKEN"],
        message: "AUTH_MODE=token needs AUTH_TOKEN of at least 16 characters (e.g. openssl rand -hex 32)",
      });
    }
    if (c.WEBHOOK_MODE === "dispatch") {
      const missing = [...(c.GITHUB_TOKEN ? [] : ["GITHUB_TOKEN (a token with Actions: read and write)"]), ...(c.GITHUB_REPOSITORY ? [] : ["GITHUB_REPOSITORY=owner/repo"])];
      if (missing.length) {
        ctx.addIssue({
          code: "custom",
          path: ["WEBHOOK_MODE"],
          message: `WEBHOOK_MODE=dispatch starts the ${c.GITHUB_WORKFLOW} workflow on GitHub and needs ${missing.join(" and ")}`,
        });
      }
    }
    if (c.CLUSTER_NAME && c.CLUSTER_NAME in c.CLUSTER_CONTEXTS) {
      ctx.addIssue({
        code: "custom",
        path: ["CLUSTER_NAME"],
        message: `CLUSTER_NAME "${c.CLUSTER_NAME}" is also a key of CLUSTER_CONTEXTS: name the local cluster in one of them only`,
      });
    }
    if (c.PROMETHEUS_BEARER_TOKEN && c.PROMETHEUS_BASIC_AUTH) {
      ctx.addIssue({
        code: "custom",
        path: ["PROMETHEUS_BASIC_AUTH"],
        message: "PROMETHEUS_BEARER_TOKEN and PROMETHEUS_BASIC_AUTH are both set: keep the one your Prometheus gateway expects",
      });
    }
    if (c.AUTH_MODE === "proxy" && c.AUTH_TRUSTED_PROXIES.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["AUTH_TRUSTED_PROXIES"],
        message: "AUTH_MODE=proxy needs AUTH_TRUSTED_PROXIES: the comma-separated addresses of your authenticating proxy",
      });
    }
  });

export type Env = z.input<typeof envSchema>;
type Parsed = z.output<typeof envSchema>;

export interface Config {
  demo: boolean;
  host: string;
  port: number;
  /** The address the server's socket is actually bound to, when the preload has seen it listen. */
  listenAddress?: string;
  consoleUrl: string;
  logLevel: Parsed["LOG_LEVEL"];
  alertmanagers: AlertmanagerEndpoint[];
  /** Alertmanager name -> the base URL of its UI as a browser reaches it (ALERTMANAGER_PUBLIC_URL); no entry, no link. */
  alertmanagerPublicUrls: Record<string, string>;
  alertmanagerTimeoutMs: number;
  /** How long the Acknowledge button silences an alert for. */
  ackDurationMinutes: number;
  kube: {
    kubeconfig?: string;
    /** cluster label -> kubeconfig context, or "in-cluster" for the pod's own service account. */
    clusterContexts: Record<string, string>;
    /** The cluster label value that means the current context (the in-cluster one when there is no kubeconfig). */
    clusterName?: string;
    timeoutMs: number;
    tailLines: number;
    limitBytes: number;
  };
  prometheus: {
    /** Configured Prometheus servers. */
    endpoints: PrometheusEndpoint[];
    /** With no endpoints: whether to try the Prometheus of each alert's generatorURL (PROMETHEUS_URL=none turns it off). */
    fromGeneratorURL: boolean;
    timeoutMs: number;
    /** Sent only to the configured endpoints, never to a URL derived from an alert. */
    bearerToken?: string;
    /** user:password, likewise only for configured endpoints. */
    basicAuth?: string;
    /** How far back the metrics window reaches before now (it also covers the alert's start). */
    windowHours: number;
  };
  gemini: { apiKey?: string; model: string; baseUrl?: string; timeoutMs: number; concurrency: number; logBudgetTokens: number };
  github: {
    token?: string;
    repository?: string;
    apiUrl?: string;
    /** The workflow WEBHOOK_MODE=dispatch starts: its file name under .github/workflows, or its id. */
    workflow: string;
    /** The branch or tag whose version of the workflow runs. */
    workflowRef: string;
  };
  databaseUrl: string;
  /** PostgreSQL connections per process (ignored by SQLite). */
  databasePoolSize: number;
  /** What the scheduled prune keeps (0 turns a limit off) and how often it runs. */
  retention: { days: number; maxAnalyses: number; auditDays: number; pruneIntervalMinutes: number; historyDays: number; historyMaxRows: number };
  /**
   * listen: a dedicated webhook-only HTTP listener beside the console, when set. mode: analyze (the
   * console analyzes each alert) or dispatch (each alert starts the GitHub workflow github.workflow).
   */
  webhook: { bearerToken?: string; basicAuth?: string; listen?: { host: string; port: number }; mode: "analyze" | "dispatch" };
  policy: {
    autoAnalyze: boolean;
    analyzeSeverities: string[];
    analyzeAlerts: string[];
    fileSeverities: string[];
    cooldownSeconds: number;
    closeIssueOnResolve: boolean;
  };
  auth: {
    mode: "proxy" | "token" | "none";
    token?: string;
    trustedProxies: string[];
    proxyHeader: string;
    sessionHours: number;
    metricsBearerToken?: string;
    rateLimitPerMinute: number;
    /** Signs the TCP peer of each request (scripts/peer-address.mjs); without it no peer is trusted. */
    peerSecret?: string;
  };
}

const CONFIG_ERROR = Symbol.for("triage.ConfigError");

/** Thrown when the environment is invalid; the message lists every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}\nFix these settings (see .env.example) and start again.`);
    this.name = "ConfigError";
    setBrand(this, CONFIG_ERROR);
  }
}

/** Whether e is a ConfigError from any copy of this module (see setBrand in lib/errors.ts). */
export function isConfigError(e: unknown): e is ConfigError {
  return hasBrand(e, CONFIG_ERROR) && "problems" in e && Array.isArray(e.problems);
}

/**
 * Parse and validate an environment (process.env by default).
 * @throws ConfigError naming each invalid variable.
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const r = envSchema.safeParse(env);
  if (!r.success) {
    throw new ConfigError(
      r.error.issues.map((i) => {
        const key = i.path.join(".");
        return i.message.includes(key) || !key ? i.message : `${key}: ${i.message}`;
      }),
    );
  }
  const e = r.data;
  return {
    demo: e.DEMO,
    host: e.HOST,
    port: e.PORT,
    listenAddress: e.TRIAGE_LISTEN_ADDRESS,
    consoleUrl: (e.CONSOLE_URL ?? `http://${e.HOST.includes(":") ? `[${e.HOST}]` : e.HOST}:${e.PORT}`).replace(/\/+$/, ""),
    logLevel: e.LOG_LEVEL,
    alertmanagers: e.ALERTMANAGER_URL,
    alertmanagerPublicUrls: resolvePublicUrls(e.ALERTMANAGER_PUBLIC_URL, publicUrlSources(e)).urls,
    alertmanagerTimeoutMs: e.ALERTMANAGER_TIMEOUT_MS,
    ackDurationMinutes: e.ACK_DURATION_MINUTES,
    kube: {
      kubeconfig: e.KUBECONFIG,
      clusterContexts: e.CLUSTER_CONTEXTS,
      clusterName: e.CLUSTER_NAME,
      timeoutMs: e.KUBE_TIMEOUT_MS,
      tailLines: e.LOG_TAIL_LINES,
      limitBytes: e.LOG_LIMIT_BYTES,
    },
    prometheus: {
      endpoints: e.PROMETHEUS_URL.endpoints,
      fromGeneratorURL: e.PROMETHEUS_URL.fromGeneratorURL,
      timeoutMs: e.PROMETHEUS_TIMEOUT_MS,
      bearerToken: e.PROMETHEUS_BEARER_TOKEN,
      basicAuth: e.PROMETHEUS_BASIC_AUTH,
      windowHours: e.METRICS_WINDOW_HOURS,
    },
    gemini: {
      apiKey: e.GEMINI_API_KEY,
      model: e.GEMINI_MODEL,
      baseUrl: e.GEMINI_BASE_URL,
      timeoutMs: e.GEMINI_TIMEOUT_MS,
      concurrency: e.GEMINI_CONCURRENCY,
      logBudgetTokens: e.LOG_BUDGET_TOKENS,
    },
    github: {
      token: e.GITHUB_TOKEN,
      repository: e.GITHUB_REPOSITORY,
      apiUrl: e.GITHUB_API_URL,
      workflow: e.GITHUB_WORKFLOW,
      workflowRef: e.GITHUB_WORKFLOW_REF,
    },
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    retention: {
      days: e.RETENTION_DAYS,
      maxAnalyses: e.RETENTION_MAX_ANALYSES,
      auditDays: e.RETENTION_AUDIT_DAYS,
      pruneIntervalMinutes: e.RETENTION_PRUNE_INTERVAL_MINUTES,
      historyDays: e.HISTORY_DAYS,
      historyMaxRows: e.HISTORY_MAX_ROWS,
    },
    webhook: { bearerToken: e.WEBHOOK_BEARER_TOKEN, basicAuth: e.WEBHOOK_BASIC_AUTH, listen: e.WEBHOOK_LISTEN, mode: e.WEBHOOK_MODE },
    policy: {
      autoAnalyze: e.AUTO_ANALYZE,
      analyzeSeverities: e.AUTO_ANALYZE_SEVERITIES,
      analyzeAlerts: e.AUTO_ANALYZE_ALERTS,
      fileSeverities: e.AUTO_FILE_SEVERITIES,
      cooldownSeconds: e.ANALYSIS_COOLDOWN_SECONDS,
      closeIssueOnResolve: e.CLOSE_ISSUE_ON_RESOLVE,
    },
    auth: {
      mode: e.AUTH_MODE,
      token: e.AUTH_TOKEN,
      trustedProxies: e.AUTH_TRUSTED_PROXIES,
      proxyHeader: e.AUTH_PROXY_HEADER,
      sessionHours: e.AUTH_SESSION_HOURS,
      metricsBearerToken: e.METRICS_BEARER_TOKEN,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      peerSecret: e.TRIAGE_PEER_SECRET,
    },
  };
}

let cached: Config | undefined;

/**
 * The process configuration, parsed once from process.env.
 * @throws ConfigError when a variable is invalid.
 */
export function loadConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** For tests: forget the cached configuration so the next loadConfig() re-reads process.env. */
export function resetConfigForTests(): void {
  cached = undefined;
}

/** True for addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^::ffff:/, "");
  return h === "localhost" || h === "::1" || h === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * Refuse to serve production logs without authentication on an address other machines can reach: the
 * HOST setting, and the address the socket is really bound to (server.js binds HOSTNAME, 0.0.0.0 by default).
 * @throws ConfigError naming the settings to choose.
 */
export function assertSafeToServe(config: Config): void {
  if (config.auth.mode !== "none") return;
  const fix = "set AUTH_MODE=token with AUTH_TOKEN, or AUTH_MODE=proxy with AUTH_TRUSTED_PROXIES, or listen on HOST=127.0.0.1 (npm start binds HOST)";
  if (!isLoopbackHost(config.host)) {
    throw new ConfigError([`HOST=${config.host} is reachable from other machines but AUTH_MODE is none: ${fix}`]);
  }
  if (config.listenAddress !== undefined && !isLoopbackHost(config.listenAddress)) {
    throw new ConfigError([`the server is bound to ${config.listenAddress}, reachable from other machines, but AUTH_MODE is none: ${fix}`]);
  }
}
