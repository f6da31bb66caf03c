import { Octokit } from "@octokit/rest";
import { z } from "zod";
import type { Target } from "@/lib/alerts/types";
import type { Config } from "@/lib/config";
import { AppError } from "@/lib/errors";

/**
 * Starts the analysis workflow (`.github/workflows/ai-log-analysis.yml` by default) through GitHub's
 * workflow_dispatch API, one request per call: retries belong to the job that calls it, which keeps its
 * backoff across restarts. Errors say which setting or permission to fix.
 */

const DEFAULT_API_URL = "https://api.github.com";
const REQUEST_TIMEOUT_MS = 30_000;
/** GitHub's advice for a secondary rate limit without retry-after: wait at least a minute. */
const SECONDARY_WAIT_SECONDS = 60;

/** The inputs ai-log-analysis.yml declares, all sent as strings; test/github/workflow-inputs.test.ts keeps them equal. */
export const WORKFLOW_INPUT_NAMES = ["pod_name", "namespace", "alert_name", "cluster", "severity"] as const;
export type WorkflowInputs = Record<(typeof WORKFLOW_INPUT_NAMES)[number], string>;
export const workflowInputsSchema = z.object({
  pod_name: z.string().max(253),
  namespace: z.string().max(253),
  alert_name: z.string().max(256),
  cluster: z.string().max(253),
  severity: z.string().max(64),
});

/** The choices of the workflow's `severity` input; any other alert severity is sent as its default, warning. */
export const WORKFLOW_SEVERITIES = ["critical", "warning"] as const;

/** The workflow's inputs for one alert: its pod, namespace, name, cluster label and severity. */
export function workflowInputs(labels: Record<string, string>, target: Target): WorkflowInputs {
  const severity = (labels.severity ?? "").trim().toLowerCase();
  return {
    pod_name: target.pod,
    namespace: target.namespace,
    alert_name: (labels.alertname || "Alert").slice(0, 256),
    cluster: target.cluster ?? "",
    severity: WORKFLOW_SEVERITIES.find((s) => s === severity) ?? "warning",
  };
}

export interface WorkflowDispatcher {
  configured: boolean;
  /** Names of the missing settings (GITHUB_TOKEN, GITHUB_REPOSITORY). */
  missing: string[];
  /** The workflow's file name or id (GITHUB_WORKFLOW) and the ref it runs on (GITHUB_WORKFLOW_REF). */
  workflow: string;
  ref: string;
  /** The workflow's runs page on GitHub's web side, when the repository is set. */
  runsUrl?: string;
  /**
   * Start one run with these inputs (GitHub answers 204 and no run id).
   * @throws AppError not_configured; not_found (404), forbidden (403), unprocessable (422: names the
   * inputs), unauthorized (401): permanent; rate_limited (with retryAfterSeconds) and unavailable (5xx,
   * network): worth retrying.
   */
  dispatch(inputs: WorkflowInputs): Promise<void>;
}

export interface WorkflowDispatcherDeps {
  /** Clock for rate-limit resets (epoch ms); tests pin it. */
  now?: () => number;
  log?: { warn(obj: object, msg?: string): void };
}

const httpErrorSchema = z.object({
  status: z.number(),
  message: z.string().optional(),
  response: z.object({ headers: z.record(z.string(), z.unknown()), data: z.unknown() }).optional(),
});
type HttpError = z.infer<typeof httpErrorSchema>;

const githubErrorBodySchema = z.object({ message: z.string().optional() });

function header(err: HttpError, name: string): string | undefined {
  const v = err.response?.headers[name];
  return typeof v === "string" || typeof v === "number" ? String(v) : undefined;
}

function githubMessage(err: HttpError): string {
  const body = githubErrorBodySchema.safeParse(err.response?.data);
  return ((body.success ? body.data.message : undefined) ?? err.message ?? "").slice(0, 500);
}

/** The web address for a REST API address: api.github.com → github.com, GHES's /api/v3 → its host, GHE.com's api.x → x. */
export function githubWebUrl(apiUrl: string | undefined): string {
  let u: URL;
  try {
    u = new URL(apiUrl ?? DEFAULT_API_URL);
  } catch {
    return "https://github.com";
  }
  if (u.hostname === "api.github.com") return "https://github.com";
  const path = u.pathname.replace(/\/+$/, "");
  if (/\/api\/v3$/.test(path)) return `${u.origin}${path.replace(/\/api\/v3$/, "")}`;
  if (u.hostname.startsWith("api.") && u.hostname.endsWith(".ghe.com")) return `${u.protocol}//${u.hostname.slice(4)}${u.port ? `:${u.port}` : ""}`;
  return `${u.origin}${path}`;
}

function parseRepository(repository: string | undefined): { owner: string; repo: string } | undefined {
  const m = /^([\w.-]+)\/([\w.-]+)$/.exec(repository ?? "");
  return m?.[1] && m[2] ? { owner: m[1], repo: m[2] } : undefined;
}

/** The names in GitHub's `Unexpected inputs provided: ["a", "b"]`, or undefined for another message. */
export function unexpectedInputs(message: string): string[] | undefined {
  const m = /Unexpected inputs provided:\s*(\[.*\])/s.exec(message);
  if (!m?.[1]) return undefined;
  try {
    const names = z.array(z.string()).safeParse(JSON.parse(m[1]));
    return names.success ? names.data.map((n) => n.slice(0, 100)).slice(0, 25) : undefined;
  } catch {
    return undefined;
  }
}

/** A rate-limit answer's wait in seconds, or undefined when the 403/429 is not a rate limit. */
function rateLimitWait(err: HttpError, now: number): number | undefined {
  if (err.status !== 403 && err.status !== 429) return undefined;
  const reset = Number(header(err, "x-ratelimit-reset"));
  if (header(err, "x-ratelimit-remaining") === "0" && Number.isFinite(reset)) return Math.max(1, Math.ceil((reset * 1000 - now) / 1000) + 1);
  const retryAfter = header(err, "retry-after");
  if (retryAfter !== undefined && Number.isFinite(Number(retryAfter))) return Math.max(1, Math.ceil(Number(retryAfter)));
  if (/secondary rate limit/i.test(githubMessage(err))) return SECONDARY_WAIT_SECONDS;
  if (err.status === 429) return SECONDARY_WAIT_SECONDS;
  return undefined;
}

/**
 * A workflow dispatcher for cfg (token, owner/repo, API URL, workflow, ref). When not configured,
 * `configured` is false and dispatch throws AppError not_configured naming the missing settings.
 */
export function createWorkflowDispatcher(cfg: Config["github"], deps: WorkflowDispatcherDeps = {}): WorkflowDispatcher {
  const target = parseRepository(cfg.repository);
  const missing = [...(cfg.token ? [] : ["GITHUB_TOKEN"]), ...(target ? [] : ["GITHUB_REPOSITORY"])];
  const now = deps.now ?? Date.now;
  const workflow = cfg.workflow;
  const ref = cfg.workflowRef;
  const full = target ? `${target.owner}/${target.repo}` : "";
  const runsUrl = target ? `${githubWebUrl(cfg.apiUrl)}/${target.owner}/${target.repo}/actions/workflows/${encodeURIComponent(workflow)}` : undefined;
  const noop = () => undefined;
  let client: Octokit | undefined;

  function fail(err: HttpError): AppError {
    const details = { githubStatus: err.status };
    const wait = rateLimitWait(err, now());
    if (wait !== undefined) {
      return new AppError("rate_limited", `GitHub's rate limit was reached while starting ${workflow}`, {
        retryAfterSeconds: wait,
        hint: `GitHub accepts requests again in about ${wait} s; the dispatch is retried then`,
        details,
      });
    }
    const message = githubMessage(err);
    switch (err.status) {
      case 401:
        return new AppError("unauthorized", "GitHub rejected the token: check GITHUB_TOKEN", {
          hint: `Set GITHUB_TOKEN to a token with Actions: read and write on ${full}`,
          details,
        });
      case 403:
        return new AppError("forbidden", `The token lacks actions: write on ${full}, so it cannot start ${workflow}`, {
          hint: `Give the fine-grained token Actions: read and write on ${full} (a classic token needs the repo and workflow scopes; a GitHub App, actions: write); an organisation may also have to approve it`,
          details,
        });
      case 404:
        return new AppError("not_found", `Workflow ${workflow} not found on ref ${ref} of ${full}, or the token cannot see it`, {
          hint: `Check that .github/workflows/${workflow} exists on ${ref} (GITHUB_WORKFLOW, GITHUB_WORKFLOW_REF), that GITHUB_REPOSITORY is right, and that the token has access to that repository`,
          details,
        });
      case 422: {
        const unexpected = unexpectedInputs(message);
        if (unexpected) {
          return new AppError("unprocessable", `Workflow ${workflow} on ${ref} does not declare the inputs ${unexpected.join(", ")} that the console sends`, {
            hint: `Declare the workflow_dispatch inputs ${WORKFLOW_INPUT_NAMES.join(", ")} (all strings, as in .github/workflows/ai-log-analysis.yml) in ${workflow} on ${ref}, or point GITHUB_WORKFLOW_REF at a ref whose workflow does`,
            details: { ...details, unexpectedInputs: unexpected },
          });
        }
        if (/^No ref found for/i.test(message)) {
          return new AppError("unprocessable", `GITHUB_WORKFLOW_REF ${ref} is not a branch or tag of ${full}`, {
            hint: "Set GITHUB_WORKFLOW_REF to a branch or tag that has the workflow (default main)",
            details,
          });
        }
        return new AppError("unprocessable", `GitHub refused to start ${workflow} on ${ref}: ${message || "Validation Failed"}`, {
          hint: `Make the workflow's workflow_dispatch inputs match what the console sends: ${WORKFLOW_INPUT_NAMES.join(", ")} (severity: ${WORKFLOW_SEVERITIES.join(" or ")})`,
          details,
        });
      }
      case 400:
        return new AppError("bad_request", `GitHub could not read the dispatch request: ${message}`, { hint: "Check GITHUB_API_URL", details });
      default:
        if (err.status >= 500 || err.status === 0 || !err.response) {
          return new AppError("unavailable", err.response ? `GitHub answered ${err.status} to the workflow dispatch` : `GitHub is unreachable: ${message}`, {
            hint: "The dispatch is retried with backoff; if it keeps failing, check GITHUB_API_URL and https://www.githubstatus.com",
            details,
          });
        }
        return new AppError("upstream", `GitHub answered ${err.status} to the workflow dispatch: ${message}`, {
          hint: "Check GITHUB_API_URL, GITHUB_REPOSITORY and GITHUB_WORKFLOW",
          details,
        });
    }
  }

  return {
    configured: missing.length === 0,
    missing,
    workflow,
    ref,
    runsUrl,
    async dispatch(inputs) {
      if (!cfg.token || !target) {
        throw new AppError("not_configured", "Starting the analysis workflow needs GitHub settings", {
          hint: `Set ${missing.map((m) => (m === "GITHUB_TOKEN" ? "GITHUB_TOKEN (a token with Actions: read and write)" : "GITHUB_REPOSITORY=owner/repo")).join(" and ")}`,
          details: { missing },
        });
      }
      client ??= new Octokit({
        auth: cfg.token,
        baseUrl: (cfg.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, ""),
        userAgent: "incident-triage-console",
        log: { debug: noop, info: noop, warn: (m: string) => deps.log?.warn({ github: m }, "GitHub warning"), error: noop },
      });
      try {
        await client.rest.actions.createWorkflowDispatch({
          owner: target.owner,
          repo: target.repo,
          workflow_id: workflow,
          ref,
          inputs: workflowInputsSchema.parse(inputs),
          request: { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) },
        });
      } catch (e) {
        const parsed = httpErrorSchema.safeParse(e);
        if (!parsed.success) throw e;
        throw fail(parsed.data);
      }
    },
  };
}
