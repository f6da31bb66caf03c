import http from "node:http";
import type { AddressInfo } from "node:net";
import { parse } from "yaml";

/**
 * A loopback GitHub REST fake for the issues endpoints the filer uses, answering with GitHub's paths,
 * status codes, headers and bodies (wire-facts.md §4): create/get/update/list issues, comments, Link
 * pagination (pull requests included in listings, as on GitHub), token auth, 401/403/404/410/422, and
 * scriptable rate limits and server errors. Also the workflow_dispatch endpoint for workflows added
 * with addWorkflow (fakeWorkflowFromYaml reads a real workflow file): 204 with no body, 404 for an
 * unknown workflow, and GitHub's 422 messages for a missing ref, unexpected, missing or invalid inputs.
 */

export interface FakeIssue {
  id: number;
  number: number;
  title: string;
  body: string | null;
  labels: string[];
  state: "open" | "closed";
  stateReason: string | null;
  pullRequest: boolean;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  comments: number;
}

export interface FakeComment {
  id: number;
  issueNumber: number;
  body: string;
  createdAt: string;
  htmlUrl: string;
}

export type FakeFailure =
  | { kind: "status"; status: number }
  | { kind: "primary-rate-limit"; status?: 403 | 429; resetInSeconds: number }
  | { kind: "secondary-rate-limit"; status?: 403 | 429; retryAfterSeconds?: number };

/** A workflow_dispatch input as a workflow file declares it. */
export interface FakeWorkflowInput {
  required?: boolean;
  type?: "string" | "choice" | "boolean" | "number" | "environment";
  options?: string[];
  default?: string;
}

export interface FakeWorkflow {
  /** The file name under .github/workflows (what the dispatch path may name). */
  file: string;
  /** Branches and tags that carry it (default ["main"]). */
  refs?: string[];
  /** undefined: the workflow has no workflow_dispatch trigger. */
  inputs?: Record<string, FakeWorkflowInput>;
}

export interface FakeDispatch {
  repo: string;
  workflow: string;
  ref: string;
  inputs: Record<string, unknown>;
}

/** A FakeWorkflow from a workflow file's YAML, with its workflow_dispatch inputs as declared there. */
export function fakeWorkflowFromYaml(file: string, text: string, refs?: string[]): FakeWorkflow {
  const doc: unknown = parse(text);
  const on = doc && typeof doc === "object" && "on" in doc ? doc.on : undefined;
  const dispatch = on && typeof on === "object" && "workflow_dispatch" in on ? on.workflow_dispatch : undefined;
  if (dispatch === undefined) return { file, refs };
  const declared = dispatch && typeof dispatch === "object" && "inputs" in dispatch && dispatch.inputs && typeof dispatch.inputs === "object" ? dispatch.inputs : {};
  const inputs: Record<string, FakeWorkflowInput> = {};
  for (const [name, spec] of Object.entries(declared)) {
    const o: Record<string, unknown> = spec && typeof spec === "object" ? Object.fromEntries(Object.entries(spec)) : {};
    inputs[name] = {
      required: o.required === true,
      type: o.type === "choice" || o.type === "boolean" || o.type === "number" || o.type === "environment" ? o.type : "string",
      options: Array.isArray(o.options) ? o.options.map(String) : undefined,
      default: o.default === undefined ? undefined : String(o.default),
    };
  }
  return { file, refs, inputs };
}

export interface FakeGitHubOptions {
  /** Accepted tokens and what they may do; "read" tokens get 403 on writes. Default { "test-token": "write" }. */
  tokens?: Record<string, "read" | "write">;
  /** Repositories that exist ("owner/repo"). Default ["acme/incidents"]. */
  repos?: string[];
  /** Repositories whose issues are disabled (410). */
  issuesDisabled?: string[];
  /** Artificial delay before each answer, to make races between concurrent callers real. */
  latencyMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
}

export interface FakeGitHub {
  url: string;
  requests: RecordedRequest[];
  issues(repo?: string): FakeIssue[];
  comments(repo?: string, issueNumber?: number): FakeComment[];
  seed(repo: string, issue: { title: string; body: string; labels?: string[]; state?: "open" | "closed"; pullRequest?: boolean }): FakeIssue;
  /** Add (or replace) a workflow in a repository, so its dispatch endpoint answers. */
  addWorkflow(repo: string, workflow: FakeWorkflow): void;
  /** The workflow runs started through the dispatch endpoint (204s only), oldest first. */
  dispatches(repo?: string): FakeDispatch[];
  /** The next `times` (default 1) matching requests fail this way, after auth is checked. */
  failNext(failure: FakeFailure, match?: { method?: string; path?: RegExp; times?: number }): void;
  close(): Promise<void>;
}

interface Repo {
  id: number;
  full: string;
  issues: FakeIssue[];
  comments: FakeComment[];
  labels: Map<string, number>;
  workflows: Map<string, FakeWorkflow & { id: number }>;
  dispatches: FakeDispatch[];
}

const DOCS = "https://docs.github.com/rest";
const BODY_LIMIT = 65_536;

const timestamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

/** Start the fake on 127.0.0.1 and a free port. */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const tokens = options.tokens ?? { "test-token": "write" };
  const repos = new Map<string, Repo>();
  let nextId = 1_000_000;
  for (const full of options.repos ?? ["acme/incidents"]) {
    repos.set(full.toLowerCase(), { id: nextId++, full, issues: [], comments: [], labels: new Map(), workflows: new Map(), dispatches: [] });
  }
  const disabled = new Set((options.issuesDisabled ?? []).map((r) => r.toLowerCase()));
  const scripted: Array<{ failure: FakeFailure; method?: string; path?: RegExp; times: number }> = [];
  const requests: RecordedRequest[] = [];
  let remaining = 5000;
  let base = "";

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    remaining = Math.max(0, remaining - 1);
    res.writeHead(status, {
      // A 204 (a workflow dispatch) carries no body and no content type.
      ...(status === 204 ? {} : { "content-type": "application/json; charset=utf-8" }),
      "x-github-api-version-selected": "2022-11-28",
      "x-github-request-id": `F4KE:${nextId++}`,
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": String(remaining),
      "x-ratelimit-used": String(5000 - remaining),
      "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
      "x-ratelimit-resource": "core",
      ...headers,
    });
    res.end(status === 204 ? undefined : JSON.stringify(body));
  };
  const error = (res: http.ServerResponse, status: number, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    send(res, status, { message, ...extra, documentation_url: DOCS, status: String(status) }, headers);

  const labelJson = (repo: Repo, name: string) => {
    let id = repo.labels.get(name);
    if (id === undefined) {
      id = nextId++;
      repo.labels.set(name, id);
    }
    return { id, node_id: `LA_kw${id}`, url: `${base}/repos/${repo.full}/labels/${encodeURIComponent(name)}`, name, color: "ededed", default: false, description: null };
  };

  const issueJson = (repo: Repo, i: FakeIssue) => {
    const api = `${base}/repos/${repo.full}/issues/${i.number}`;
    return {
      url: api,
      repository_url: `${base}/repos/${repo.full}`,
      labels_url: `${api}/labels{/name}`,
      comments_url: `${api}/comments`,
      events_url: `${api}/events`,
      html_url: `https://github.com/${repo.full}/${i.pullRequest ? "pull" : "issues"}/${i.number}`,
      id: i.id,
      node_id: `I_kwDO${i.id}`,
      number: i.number,
      title: i.title,
      user: { login: "triage-bot[bot]", id: 41898282, node_id: "MDM6Qm90NDE4OTgyODI=", type: "Bot", site_admin: false },
      labels: i.labels.map((l) => labelJson(repo, l)),
      state: i.state,
      locked: false,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: i.comments,
      created_at: i.createdAt,
      updated_at: i.updatedAt,
      closed_at: i.closedAt,
      author_association: "NONE",
      active_lock_reason: null,
      body: i.body,
      closed_by: null,
      timeline_url: `${api}/timeline`,
      performed_via_github_app: null,
      state_reason: i.stateReason,
      ...(i.pullRequest
        ? {
            draft: false,
            pull_request: {
              url: `${base}/repos/${repo.full}/pulls/${i.number}`,
              html_url: `https://github.com/${repo.full}/pull/${i.number}`,
              diff_url: `https://github.com/${repo.full}/pull/${i.number}.diff`,
              patch_url: `https://github.com/${repo.full}/pull/${i.number}.patch`,
              merged_at: null,
            },
          }
        : {}),
    };
  };

  const addIssue = (repo: Repo, f: { title: string; body: string | null; labels: string[]; state?: "open" | "closed"; pullRequest?: boolean }) => {
    const now = timestamp();
    const issue: FakeIssue = {
      id: nextId++,
      number: repo.issues.length + 1,
      title: f.title,
      body: f.body,
      labels: [...new Set(f.labels)],
      state: f.state ?? "open",
      stateReason: f.state === "closed" ? "completed" : null,
      pullRequest: f.pullRequest ?? false,
      createdAt: now,
      updatedAt: now,
      closedAt: f.state === "closed" ? now : null,
      comments: 0,
    };
    repo.issues.push(issue);
    return issue;
  };

  const readBody = (req: http.IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      req.on("error", reject);
    });

  const parseJson = (text: string): Record<string, unknown> | undefined => {
    try {
      const v: unknown = JSON.parse(text || "{}");
      return v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v)) : undefined;
    } catch {
      return undefined;
    }
  };

  const labelNames = (v: unknown): string[] =>
    Array.isArray(v)
      ? v.flatMap((l) => (typeof l === "string" ? [l] : l && typeof l === "object" && "name" in l && typeof l.name === "string" ? [l.name] : []))
      : [];

  const fail = (res: http.ServerResponse, f: FakeFailure) => {
    if (f.kind === "primary-rate-limit") {
      return error(res, f.status ?? 403, "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID F4KE.", {}, {
        "x-ratelimit-remaining": "0",
        "x-ratelimit-used": "5000",
        "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + f.resetInSeconds),
      });
    }
    if (f.kind === "secondary-rate-limit") {
      return error(
        res,
        f.status ?? 403,
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID F4KE.",
        {},
        f.retryAfterSeconds !== undefined ? { "retry-after": String(f.retryAfterSeconds) } : {},
      );
    }
    if (f.status === 502) {
      res.writeHead(502, { "content-type": "text/html" });
      return res.end("<html><body><h1>Unicorn!</h1> This page is taking too long to load.</body></html>");
    }
    return error(res, f.status, f.status >= 500 ? "Server Error" : http.STATUS_CODES[f.status] ?? "Error");
  };

  const list = (res: http.ServerResponse, repo: Repo, q: URLSearchParams) => {
    const state = q.get("state") ?? "open";
    const wanted = (q.get("labels") ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
    const perPage = Math.min(100, Math.max(1, Number(q.get("per_page") ?? 30) || 30));
    const page = Math.max(1, Number(q.get("page") ?? 1) || 1);
    const asc = q.get("direction") === "asc";
    const all = repo.issues
      .filter((i) => state === "all" || i.state === state)
      .filter((i) => wanted.every((w) => i.labels.some((l) => l.toLowerCase() === w)))
      .sort((a, b) => (asc ? a.number - b.number : b.number - a.number));
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const link = (p: number) => {
      const params = new URLSearchParams(q);
      params.set("page", String(p));
      return `<${base}/repositories/${repo.id}/issues?${params.toString()}>`;
    };
    const rels: string[] = [];
    if (page > 1) rels.push(`${link(page - 1)}; rel="prev"`);
    if (page < last) rels.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
    if (page > 1) rels.push(`${link(1)}; rel="first"`);
    send(res, 200, all.slice((page - 1) * perPage, page * perPage).map((i) => issueJson(repo, i)), rels.length ? { link: rels.join(", ") } : {});
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const authorization = req.headers.authorization;
    requests.push({ method, path: url.pathname + url.search, authorization });
    const text = await readBody(req);
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));

    const auth = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization ?? "");
    if (!authorization) return error(res, 401, "Requires authentication");
    const access = auth?.[1] ? tokens[auth[1]] : undefined;
    if (!access) return error(res, 401, "Bad credentials");

    const rule = scripted.find((s) => (!s.method || s.method === method) && (!s.path || s.path.test(url.pathname)));
    if (rule) {
      rule.times--;
      if (rule.times <= 0) scripted.splice(scripted.indexOf(rule), 1);
      return fail(res, rule.failure);
    }

    const wf = /^\/repos\/([^/]+)\/([^/]+)\/actions\/workflows\/([^/]+)\/dispatches\/?$/.exec(url.pathname);
    if (wf) return dispatchWorkflow(res, method, access, `${wf[1]}/${wf[2]}`, decodeURIComponent(wf[3] ?? ""), text);

    const m =
      /^\/repos\/([^/]+)\/([^/]+)\/issues(?:\/(\d+)(\/comments)?)?\/?$/.exec(url.pathname) ??
      /^\/repositories\/(\d+)\/issues\/?$/.exec(url.pathname);
    if (!m) return error(res, 404, "Not Found");
    const repo = m.length === 2 ? [...repos.values()].find((r) => String(r.id) === m[1]) : repos.get(`${m[1]}/${m[2]}`.toLowerCase());
    if (!repo) return error(res, 404, "Not Found");
    const write = method !== "GET";
    if (write && access !== "write") return error(res, 403, "Resource not accessible by personal access token");
    if (disabled.has(repo.full.toLowerCase())) return error(res, 410, "Issues are disabled for this repo");
    const number = m.length === 2 ? undefined : m[3] ? Number(m[3]) : undefined;
    const commentsPath = m.length === 2 ? false : Boolean(m[4]);

    if (number === undefined) {
      if (method === "GET") return list(res, repo, url.searchParams);
      if (method !== "POST") return error(res, 404, "Not Found");
      const body = parseJson(text);
      if (!body) return error(res, 400, "Problems parsing JSON");
      const title = typeof body.title === "string" || typeof body.title === "number" ? String(body.title) : "";
      if (!title) return error(res, 422, "Validation Failed", { errors: [{ resource: "Issue", code: "missing_field", field: "title" }] });
      const issueBody = typeof body.body === "string" ? body.body : null;
      if (issueBody && issueBody.length > BODY_LIMIT) {
        return error(res, 422, "Validation Failed", {
          errors: [{ resource: "Issue", code: "custom", field: "body", message: "body is too long (maximum is 65536 characters)" }],
        });
      }
      const issue = addIssue(repo, { title, body: issueBody, labels: labelNames(body.labels) });
      return send(res, 201, issueJson(repo, issue), { location: `${base}/repos/${repo.full}/issues/${issue.number}` });
    }

    const issue = repo.issues.find((i) => i.number === number);
    if (!issue) return error(res, 404, "Not Found");

    if (commentsPath) {
      if (method === "GET") return send(res, 200, repo.comments.filter((c) => c.issueNumber === number).map((c) => commentJson(repo, c)));
      if (method !== "POST") return error(res, 404, "Not Found");
      const body = parseJson(text);
      if (!body) return error(res, 400, "Problems parsing JSON");
      if (typeof body.body !== "string" || !body.body) {
        return error(res, 422, "Validation Failed", { errors: [{ resource: "IssueComment", code: "missing_field", field: "body" }] });
      }
      if (body.body.length > BODY_LIMIT) {
        return error(res, 422, "Validation Failed", {
          errors: [{ resource: "IssueComment", code: "unprocessable", field: "data", message: "Body is too long (maximum is 65536 characters)" }],
        });
      }
      const id = nextId++;
      const comment: FakeComment = {
        id,
        issueNumber: issue.number,
        body: body.body,
        createdAt: timestamp(),
        htmlUrl: `https://github.com/${repo.full}/issues/${issue.number}#issuecomment-${id}`,
      };
      repo.comments.push(comment);
      issue.comments++;
      issue.updatedAt = comment.createdAt;
      return send(res, 201, commentJson(repo, comment), { location: `${base}/repos/${repo.full}/issues/comments/${id}` });
    }

    if (method === "GET") return send(res, 200, issueJson(repo, issue));
    if (method !== "PATCH") return error(res, 404, "Not Found");
    const body = parseJson(text);
    if (!body) return error(res, 400, "Problems parsing JSON");
    if (body.state !== undefined && body.state !== "open" && body.state !== "closed") {
      return error(res, 422, "Validation Failed", { errors: [{ resource: "Issue", code: "invalid", field: "state" }] });
    }
    if (typeof body.title === "string") issue.title = body.title;
    if (typeof body.body === "string") issue.body = body.body;
    if (Array.isArray(body.labels)) issue.labels = labelNames(body.labels);
    if (body.state === "closed" && issue.state === "open") {
      issue.state = "closed";
      issue.closedAt = timestamp();
      issue.stateReason = typeof body.state_reason === "string" ? body.state_reason : "completed";
    } else if (body.state === "open" && issue.state === "closed") {
      issue.state = "open";
      issue.closedAt = null;
      issue.stateReason = "reopened";
    }
    issue.updatedAt = timestamp();
    return send(res, 200, issueJson(repo, issue));
  };

  /** POST /repos/{o}/{r}/actions/workflows/{file or id}/dispatches, validated as GitHub does (wire format: 204, no body). */
  const dispatchWorkflow = (res: http.ServerResponse, method: string, access: "read" | "write", full: string, id: string, text: string) => {
    const repo = repos.get(full.toLowerCase());
    const workflow = repo ? [...repo.workflows.values()].find((w) => w.file === id || String(w.id) === id) : undefined;
    if (!repo || !workflow || method !== "POST") return error(res, 404, "Not Found");
    if (access !== "write") return error(res, 403, "Resource not accessible by personal access token");
    const body = parseJson(text);
    if (!body) return error(res, 400, "Problems parsing JSON");
    if (typeof body.ref !== "string" || !body.ref) return error(res, 422, 'Invalid request.\n\n"ref" wasn\'t supplied.');
    const ref = body.ref.replace(/^refs\/(?:heads|tags)\//, "");
    if (!(workflow.refs ?? ["main"]).includes(ref)) return error(res, 422, `No ref found for: ${body.ref}`);
    if (!workflow.inputs) return error(res, 422, "Workflow does not have 'workflow_dispatch' trigger");
    const given = body.inputs === undefined ? {} : body.inputs;
    if (!given || typeof given !== "object" || Array.isArray(given)) return error(res, 422, 'Invalid request.\n\nFor \'properties/inputs\', "not an object" is not an object.');
    const inputs: Record<string, unknown> = Object.fromEntries(Object.entries(given));
    const declared = workflow.inputs;
    const unexpected = Object.keys(inputs).filter((k) => !(k in declared));
    if (unexpected.length) return error(res, 422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
    for (const [name, spec] of Object.entries(declared)) {
      const v = inputs[name];
      if (spec.required && (v === undefined || v === "") && spec.default === undefined) return error(res, 422, `Required input '${name}' not provided`);
      if (v !== undefined && typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
        return error(res, 422, `Invalid request.\n\nFor 'properties/${name}', ${JSON.stringify(v)} is not a string, number or boolean.`);
      }
      if (spec.type === "choice" && v !== undefined && !(spec.options ?? []).includes(String(v))) {
        return error(res, 422, `Provided value '${String(v)}' for input '${name}' not in the list of allowed values`);
      }
    }
    repo.dispatches.push({ repo: repo.full, workflow: workflow.file, ref: body.ref, inputs });
    return send(res, 204, undefined);
  };

  const commentJson = (repo: Repo, c: FakeComment) => ({
    url: `${base}/repos/${repo.full}/issues/comments/${c.id}`,
    html_url: c.htmlUrl,
    issue_url: `${base}/repos/${repo.full}/issues/${c.issueNumber}`,
    id: c.id,
    node_id: `IC_kwDO${c.id}`,
    user: { login: "triage-bot[bot]", id: 41898282, type: "Bot", site_admin: false },
    created_at: c.createdAt,
    updated_at: c.createdAt,
    author_association: "NONE",
    body: c.body,
    performed_via_github_app: null,
  });

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) error(res, 500, `fake GitHub crashed: ${String(e)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;

  const repoOf = (full?: string): Repo[] => (full ? [repos.get(full.toLowerCase())].flatMap((r) => (r ? [r] : [])) : [...repos.values()]);

  return {
    url: base,
    requests,
    issues: (full) => repoOf(full).flatMap((r) => r.issues.filter((i) => !i.pullRequest)),
    comments: (full, n) => repoOf(full).flatMap((r) => r.comments.filter((c) => n === undefined || c.issueNumber === n)),
    seed(full, f) {
      const repo = repos.get(full.toLowerCase());
      if (!repo) throw new Error(`fake GitHub has no repository ${full}; pass it in options.repos`);
      return addIssue(repo, { title: f.title, body: f.body, labels: f.labels ?? [], state: f.state, pullRequest: f.pullRequest });
    },
    addWorkflow(full, workflow) {
      const repo = repos.get(full.toLowerCase());
      if (!repo) throw new Error(`fake GitHub has no repository ${full}; pass it in options.repos`);
      repo.workflows.set(workflow.file, { ...workflow, id: repo.workflows.get(workflow.file)?.id ?? nextId++ });
    },
    dispatches: (full) => repoOf(full).flatMap((r) => r.dispatches),
    failNext(failure, match = {}) {
      scripted.push({ failure, method: match.method, path: match.path, times: match.times ?? 1 });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
