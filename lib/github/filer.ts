import { Octokit } from "@octokit/rest";
import { z } from "zod";
import type { Config } from "@/lib/config";
import { AppError, isAppError } from "@/lib/errors";
import { ALERT_LABEL, ISSUE_BODY_LIMIT, fingerprintMarker, hasFingerprintMarker, type IssueDraft } from "@/lib/github/issue";
import type { IssueRef, IssueRegistry } from "@/lib/github/registry";

/**
 * Files incidents over @octokit/rest, once per alert fingerprint: a repeat becomes a comment on the open
 * issue. Octokit 22 ships without retry or throttling plugins, so retries and rate limits are handled here.
 */

const DEFAULT_API_URL = "https://api.github.com";
const REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_ATTEMPTS = 5;
const DEFAULT_MAX_WAIT_MS = 120_000;
/** GitHub's advice for a secondary rate limit without retry-after: wait at least a minute. */
const SECONDARY_WAIT_MS = 60_000;
const REPEAT_HEADER = "### 🔁 The alert fired again: new analysis\n\n";

export interface FiledIssue {
  action: "created" | "commented";
  number: number;
  url: string;
  commentUrl?: string;
}

export interface IssueFiler {
  configured: boolean;
  /** Names of the missing settings (GITHUB_TOKEN, GITHUB_REPOSITORY). */
  missing: string[];
  /**
   * File the incident, or comment on the open issue that carries its fingerprint; serialised per fingerprint.
   * @throws AppError not_configured, rate_limited, unavailable, unprocessable (422) or upstream (401/403/404/410).
   */
  fileIncident(issue: IssueDraft, fingerprint: string): Promise<FiledIssue>;
  /**
   * Post a comment (at most 65,536 characters) and return its URL.
   * @throws AppError as fileIncident does.
   */
  commentOnIssue(ref: IssueRef, body: string): Promise<{ url: string }>;
  /**
   * Close the issue as completed (when the alert resolves).
   * @throws AppError as fileIncident does.
   */
  closeIssue(ref: IssueRef): Promise<void>;
  /**
   * Whether the issue is open or closed now, or gone (deleted, transferred). One request, no retry: a
   * page that shows the state keeps what it knew when GitHub is slow.
   * @throws AppError as fileIncident does.
   */
  issueState(ref: IssueRef): Promise<"open" | "closed" | "gone">;
}

export interface IssueFilerDeps {
  registry: IssueRegistry;
  sleep?: (ms: number) => Promise<void>;
  log?: { warn(...a: unknown[]): void; info(...a: unknown[]): void };
  /** Clock for rate-limit resets (epoch ms); tests pin it. */
  now?: () => number;
  retry?: { attempts?: number; maxWaitMs?: number };
}

const httpErrorSchema = z.object({
  status: z.number(),
  message: z.string().optional(),
  response: z.object({ headers: z.record(z.string(), z.unknown()), data: z.unknown() }).optional(),
});
type HttpError = z.infer<typeof httpErrorSchema>;

const githubErrorBodySchema = z.object({
  message: z.string().optional(),
  errors: z
    .array(z.union([z.string(), z.object({ field: z.string().optional(), code: z.string().optional(), message: z.string().optional() })]))
    .optional(),
});

const issueSchema = z.object({
  number: z.number().int().positive(),
  html_url: z.string(),
  state: z.string(),
  body: z.string().nullable().optional(),
  pull_request: z.unknown().optional(),
});
const commentSchema = z.object({ id: z.number(), html_url: z.string() });

type Retryable = { kind: "rate" | "server"; waitMs: number };

function header(err: HttpError, name: string): string | undefined {
  const v = err.response?.headers[name];
  return typeof v === "string" || typeof v === "number" ? String(v) : undefined;
}

function githubMessage(err: HttpError): string {
  const body = githubErrorBodySchema.safeParse(err.response?.data);
  return (body.success ? body.data.message : undefined) ?? err.message ?? "";
}

/** How long to wait before retrying, or undefined when retrying cannot help. */
function classify(err: HttpError, attempt: number, now: number): Retryable | undefined {
  const backoff = Math.min(30_000, 1000 * 2 ** (attempt - 1));
  if (err.status === 403 || err.status === 429) {
    const reset = Number(header(err, "x-ratelimit-reset"));
    if (header(err, "x-ratelimit-remaining") === "0" && Number.isFinite(reset)) {
      return { kind: "rate", waitMs: Math.max(0, reset * 1000 - now) + 1000 };
    }
    const retryAfter = Number(header(err, "retry-after"));
    if (header(err, "retry-after") !== undefined && Number.isFinite(retryAfter)) return { kind: "rate", waitMs: Math.max(0, retryAfter) * 1000 };
    if (/secondary rate limit/i.test(githubMessage(err))) return { kind: "rate", waitMs: Math.max(SECONDARY_WAIT_MS, backoff) };
    if (err.status === 429) return { kind: "rate", waitMs: backoff };
    return undefined;
  }
  if (err.status >= 500 || err.status === 0) return { kind: "server", waitMs: backoff };
  return undefined;
}

function contentProblem(err: HttpError): string {
  const body = githubErrorBodySchema.safeParse(err.response?.data);
  const first = body.success ? body.data.errors?.[0] : undefined;
  if (typeof first === "string") return first;
  if (first) return first.message ?? [first.field, first.code].filter(Boolean).join(" ");
  return githubMessage(err) || "Validation Failed";
}

function fatalError(err: HttpError, repository: string): AppError {
  const details = { githubStatus: err.status };
  switch (err.status) {
    case 401:
      return new AppError("upstream", "GitHub rejected the token: check GITHUB_TOKEN", {
        hint: `Create a token with Issues: read and write on ${repository} and set GITHUB_TOKEN to it`,
        details,
      });
    case 403:
      return new AppError("upstream", `The token lacks Issues: write on ${repository}`, {
        hint: `Give the token Issues: read and write on ${repository} (fine-grained) or the repo scope (classic); an organisation may also have to approve it`,
        details,
      });
    case 404:
      return new AppError("upstream", `Repository ${repository} not found or not visible to the token: check GITHUB_REPOSITORY`, {
        hint: "Set GITHUB_REPOSITORY=owner/repo exactly as on GitHub and give the token access to that repository",
        details,
      });
    case 410:
      return new AppError("upstream", `Issues are disabled on ${repository}`, {
        hint: "Enable Issues in the repository's settings, or point GITHUB_REPOSITORY at a repository that has them",
        details,
      });
    case 422:
      return new AppError("unprocessable", `GitHub rejected the issue content: ${contentProblem(err).slice(0, 300)}`, {
        hint: "Fix the field GitHub names; the analysis is kept and can be filed again",
        details,
      });
    default:
      return new AppError("upstream", `GitHub answered ${err.status}: ${githubMessage(err).slice(0, 200)}`, {
        hint: "Try filing again; if it keeps failing, check GITHUB_API_URL and https://www.githubstatus.com",
        details,
      });
  }
}

function parseRepository(repository: string | undefined): { owner: string; repo: string } | undefined {
  const m = /^([\w.-]+)\/([\w.-]+)$/.exec(repository ?? "");
  return m?.[1] && m[2] ? { owner: m[1], repo: m[2] } : undefined;
}

function notConfigured(missing: string[]): AppError {
  const parts: string[] = [];
  if (missing.includes("GITHUB_TOKEN")) parts.push("GITHUB_TOKEN (a fine-grained token with Issues: read and write)");
  if (missing.includes("GITHUB_REPOSITORY")) parts.push("GITHUB_REPOSITORY=owner/repo");
  return new AppError("not_configured", "GitHub filing is not configured", {
    hint: `Set ${parts.join(" and ")}`,
    details: { missing },
  });
}

function checkBody(body: string): void {
  if (body.length > ISSUE_BODY_LIMIT) {
    throw new AppError("unprocessable", `The issue body has ${body.length} characters; GitHub accepts at most ${ISSUE_BODY_LIMIT}`, {
      hint: "Build the body with buildIssue, which keeps it within the limit",
    });
  }
}

/** The comment posted on the open issue when the same alert is filed again. */
export function repeatCommentBody(issueBody: string, fingerprint: string): string {
  const body = issueBody.split("\n").filter((l) => l.trim() !== fingerprintMarker(fingerprint)).join("\n").trimEnd();
  const withHeader = `${REPEAT_HEADER}${body}\n`;
  return withHeader.length <= ISSUE_BODY_LIMIT ? withHeader : body;
}

/**
 * A GitHub issue filer for cfg (token, owner/repo, API URL). When not configured, `configured` is false and
 * every call throws AppError not_configured naming the missing settings.
 */
export function createIssueFiler(cfg: Pick<Config["github"], "token" | "repository" | "apiUrl">, deps: IssueFilerDeps): IssueFiler {
  const missing = [...(cfg.token ? [] : ["GITHUB_TOKEN"]), ...(parseRepository(cfg.repository) ? [] : ["GITHUB_REPOSITORY"])];
  const target = parseRepository(cfg.repository);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = deps.now ?? Date.now;
  const attempts = deps.retry?.attempts ?? DEFAULT_ATTEMPTS;
  const maxWaitMs = deps.retry?.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const noop = () => undefined;
  let client: Octokit | undefined;

  function ready(): { octokit: Octokit; owner: string; repo: string; full: string } {
    if (!cfg.token || !target) throw notConfigured(missing);
    // Octokit's own request log would print every failed call; failures are reported through our errors.
    client ??= new Octokit({
      auth: cfg.token,
      baseUrl: (cfg.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, ""),
      userAgent: "incident-triage-console",
      log: { debug: noop, info: noop, warn: (m: string) => deps.log?.warn({ github: m }, "GitHub warning"), error: noop },
    });
    return { octokit: client, ...target, full: `${target.owner}/${target.repo}` };
  }

  const request = () => ({ signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });

  async function withRetry<T>(what: string, fn: () => Promise<T>, beforeRetry?: () => Promise<T | undefined>): Promise<T> {
    const repository = cfg.repository ?? "";
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const parsed = httpErrorSchema.safeParse(e);
        if (!parsed.success) throw e;
        const err = parsed.data;
        const retry = classify(err, attempt, now());
        if (!retry) throw fatalError(err, repository);
        if (attempt >= attempts || waited + retry.waitMs > maxWaitMs) {
          if (retry.kind === "rate") {
            const seconds = Math.ceil(retry.waitMs / 1000);
            throw new AppError("rate_limited", "GitHub's rate limit was reached", {
              retryAfterSeconds: seconds,
              hint: `GitHub accepts requests again in about ${seconds} s; file the issue then (the analysis is kept)`,
              details: { githubStatus: err.status },
            });
          }
          throw new AppError(
            "unavailable",
            err.response ? `GitHub kept failing (${err.status}) after ${attempt} attempts` : `GitHub is unreachable: ${githubMessage(err).slice(0, 200)}`,
            { hint: "Check GITHUB_API_URL and https://www.githubstatus.com, then file again (the analysis is kept)", cause: e },
          );
        }
        deps.log?.warn({ what, status: err.status, attempt, waitMs: retry.waitMs }, "GitHub request failed; retrying");
        await sleep(retry.waitMs);
        waited += retry.waitMs;
        if (beforeRetry) {
          const done = await beforeRetry();
          if (done !== undefined) return done;
        }
      }
    }
  }

  async function findOpenIssue(fingerprint: string): Promise<IssueRef | undefined> {
    const { octokit, owner, repo } = ready();
    const items = await withRetry("list issues", () =>
      octokit.paginate(octokit.rest.issues.listForRepo, { owner, repo, state: "open", labels: ALERT_LABEL, per_page: 100, request: request() }),
    );
    const matches = z
      .array(issueSchema)
      .parse(items)
      .filter((i) => i.pull_request == null && i.state === "open" && hasFingerprintMarker(i.body ?? "", fingerprint))
      .sort((a, b) => a.number - b.number);
    const first = matches[0];
    return first ? { number: first.number, url: first.html_url } : undefined;
  }

  /** Whether the remembered issue can still take comments; a deleted or transferred one cannot. */
  async function isOpen(ref: IssueRef): Promise<boolean> {
    const { octokit, owner, repo } = ready();
    try {
      const res = await withRetry("get issue", () => octokit.rest.issues.get({ owner, repo, issue_number: ref.number, request: request() }));
      return issueSchema.parse(res.data).state === "open";
    } catch (e) {
      if (isAppError(e) && (e.details?.githubStatus === 404 || e.details?.githubStatus === 410)) return false;
      throw e;
    }
  }

  async function commentOnIssue(ref: IssueRef, body: string): Promise<{ url: string }> {
    const { octokit, owner, repo } = ready();
    checkBody(body);
    const res = await withRetry("comment", () =>
      octokit.rest.issues.createComment({ owner, repo, issue_number: ref.number, body, request: request() }),
    );
    return { url: commentSchema.parse(res.data).html_url };
  }

  return {
    configured: missing.length === 0,
    missing,

    async fileIncident(issue, fingerprint) {
      const { octokit, owner, repo } = ready();
      checkBody(issue.body);
      return deps.registry.runExclusive(fingerprint, async () => {
        const known = await deps.registry.getIssue(fingerprint);
        let existing = known && (await isOpen(known)) ? known : undefined;
        if (!existing) {
          existing = await findOpenIssue(fingerprint);
          if (existing) await deps.registry.saveIssue(fingerprint, existing);
        }
        if (existing) {
          const comment = await commentOnIssue(existing, repeatCommentBody(issue.body, fingerprint));
          return { action: "commented", number: existing.number, url: existing.url, commentUrl: comment.url };
        }
        // A 5xx on create may hide a created issue; look for it before posting again, so a retry never files twice.
        const created = await withRetry<IssueRef>(
          "create issue",
          async () => {
            const res = await octokit.rest.issues.create({ owner, repo, title: issue.title, body: issue.body, labels: issue.labels, request: request() });
            const data = issueSchema.parse(res.data);
            return { number: data.number, url: data.html_url };
          },
          () => findOpenIssue(fingerprint),
        );
        await deps.registry.saveIssue(fingerprint, created);
        deps.log?.info({ issue: created.number, fingerprint }, "GitHub issue filed");
        return { action: "created", number: created.number, url: created.url };
      });
    },

    commentOnIssue,

    async issueState(ref) {
      const { octokit, owner, repo, full } = ready();
      try {
        const res = await octokit.rest.issues.get({ owner, repo, issue_number: ref.number, request: request() });
        return issueSchema.parse(res.data).state === "open" ? "open" : "closed";
      } catch (e) {
        const err = httpErrorSchema.safeParse(e);
        if (!err.success) throw e;
        if (err.data.status === 404 || err.data.status === 410) return "gone";
        const transient = classify(err.data, 1, now());
        if (transient) {
          throw new AppError(transient.kind === "rate" ? "rate_limited" : "unavailable", `GitHub did not say whether issue #${ref.number} is open (${err.data.status})`, {
            hint: "The state shown is the one last known; it is asked again on a later view.",
            details: { githubStatus: err.data.status },
          });
        }
        throw fatalError(err.data, full);
      }
    },

    async closeIssue(ref) {
      const { octokit, owner, repo } = ready();
      await withRetry("close issue", () =>
        octokit.rest.issues.update({ owner, repo, issue_number: ref.number, state: "closed", state_reason: "completed", request: request() }),
      );
    },
  };
}
