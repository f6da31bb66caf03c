import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { createIssueFiler, type IssueFilerDeps } from "@/lib/github/filer";
import { buildIssue, fingerprintMarker, type IssueDraft } from "@/lib/github/issue";
import { createMemoryIssueRegistry, type IssueRegistry } from "@/lib/github/registry";
import type { Dialect } from "@/lib/store/dialect";
import { startFakeGitHub, type FakeGitHub } from "@/test/fakes/github-server";
import { openTestStore, STORE_DIALECTS } from "@/test/helpers/store";
import { SAMPLE_MARKDOWN, sampleBundle, sampleReport } from "./fixtures";

const FP = "c6eadffa33fcdf37";
const REPO = "acme/incidents";
const quiet = { warn: () => undefined, info: () => undefined };

let gh: FakeGitHub;
let sleeps: number[];
/** This test's registry, of the kind its describe.each runs on. */
let registry: IssueRegistry;

/** The in-process registry, and store.issueRegistry() on SQLite and on PostgreSQL: every suite below runs on each. */
const REGISTRIES: readonly ("memory" | Dialect)[] = ["memory", ...STORE_DIALECTS];

/** A fresh, empty registry of this kind for each test; a store's is closed (and its database removed) after the test. */
function useRegistry(kind: "memory" | Dialect): void {
  let close: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    if (kind === "memory") {
      registry = createMemoryIssueRegistry();
      return;
    }
    const t = await openTestStore(kind);
    close = t.close;
    registry = t.store.issueRegistry();
  });
  afterEach(async () => {
    await close?.();
    close = undefined;
  });
}

beforeEach(async () => {
  gh = await startFakeGitHub({ tokens: { "test-token": "write", "read-token": "read" }, repos: [REPO, "acme/no-issues"], issuesDisabled: ["acme/no-issues"] });
  sleeps = [];
});
afterEach(async () => {
  await gh.close();
});

function filer(opts: { token?: string; repository?: string; registry?: IssueRegistry } & Partial<IssueFilerDeps> = {}) {
  const { token = "test-token", repository = REPO, registry: reg = registry, ...deps } = opts;
  return createIssueFiler(
    { token, repository, apiUrl: gh.url },
    { registry: reg, log: quiet, sleep: async (ms) => void sleeps.push(ms), ...deps },
  );
}

function draft(summary = "OOMKilled while loading weights", fingerprint = FP): IssueDraft {
  return buildIssue({
    report: sampleReport({ summary }),
    reportMarkdown: `${SAMPLE_MARKDOWN}\n\n${summary}`,
    bundle: sampleBundle(),
    fingerprint,
    analysisUrl: "http://console/analyses/1",
  });
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof AppError)) throw new Error(`expected an AppError, got ${String(e)}`);
  return e;
}

describe.each(REGISTRIES)("fileIncident (%s registry)", (kind) => {
  useRegistry(kind);
  it("creates the issue with the exact title, labels and body, authenticating with the token", async () => {
    const d = draft();
    const result = await filer().fileIncident(d, FP);
    expect(result).toEqual({ action: "created", number: 1, url: "https://github.com/acme/incidents/issues/1" });
    const [issue] = gh.issues(REPO);
    expect(issue?.title).toBe("[PRODUCTION ALERT] KubePodCrashLooping - web-1");
    expect(issue?.labels).toEqual(["production-alert", "ai-analysis", "critical"]);
    expect(issue?.body).toBe(d.body);
    const post = gh.requests.find((r) => r.method === "POST");
    expect(post?.authorization).toBe("token test-token");
    const list = gh.requests.find((r) => r.method === "GET");
    expect(list?.path).toMatch(/^\/repos\/acme\/incidents\/issues\?/);
    expect(new URLSearchParams(list?.path.split("?")[1]).get("labels")).toBe("production-alert");
    expect(new URLSearchParams(list?.path.split("?")[1]).get("state")).toBe("open");
  });

  it("comments on the open issue when the same alert is filed again", async () => {
    const f = filer();
    const first = await f.fileIncident(draft("first analysis"), FP);
    const second = await f.fileIncident(draft("second analysis"), FP);
    expect(second.action).toBe("commented");
    expect(second.number).toBe(first.number);
    expect(second.commentUrl).toMatch(/^https:\/\/github\.com\/acme\/incidents\/issues\/1#issuecomment-\d+$/);
    expect(gh.issues(REPO)).toHaveLength(1);
    const comments = gh.comments(REPO, first.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain("second analysis");
    expect(comments[0]?.body).not.toContain(fingerprintMarker(FP));
    expect(comments[0]?.body.length).toBeLessThanOrEqual(65_536);
  });

  it("files exactly one issue for 50 concurrent filings of one alert", async () => {
    await gh.close();
    gh = await startFakeGitHub({ repos: [REPO], latencyMs: 2 });
    const f = filer();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => f.fileIncident(draft(`analysis ${i}`), FP)));
    expect(gh.issues(REPO)).toHaveLength(1);
    expect(gh.comments(REPO)).toHaveLength(49);
    expect(results.filter((r) => r.action === "created")).toHaveLength(1);
    expect(new Set(results.map((r) => r.number))).toEqual(new Set([1]));
  });

  it("does duplicate without the per-fingerprint lock, so the test above can fail", async () => {
    await gh.close();
    gh = await startFakeGitHub({ repos: [REPO], latencyMs: 2 });
    // All ten read the registry before any goes on, as they do at once on the memory registry: a store's reads
    // wait for pool connections, which could stagger them until the first issue exists and hide the race.
    let read = 0;
    let allRead!: () => void;
    const barrier = new Promise<void>((resolve) => (allRead = resolve));
    const unlocked: IssueRegistry = {
      ...registry,
      runExclusive: (_fp, fn) => fn(),
      getIssue: async (fp) => {
        const ref = await registry.getIssue(fp);
        if (++read === 10) allRead();
        await barrier;
        return ref;
      },
    };
    const f = filer({ registry: unlocked });
    await Promise.all(Array.from({ length: 10 }, () => f.fileIncident(draft(), FP)));
    expect(gh.issues(REPO).length).toBeGreaterThan(1);
  });

  it("finds the issue by its marker when the registry is empty, skipping pull requests and closed issues", async () => {
    const marker = fingerprintMarker(FP);
    gh.seed(REPO, { title: "PR quoting the marker", body: `fix\n${marker}\n`, labels: ["production-alert"], pullRequest: true });
    gh.seed(REPO, { title: "old closed", body: `x\n${marker}\n`, labels: ["production-alert"], state: "closed" });
    gh.seed(REPO, { title: "other alert", body: `x\n${fingerprintMarker("other")}\n`, labels: ["production-alert"] });
    const open = gh.seed(REPO, { title: "the incident", body: `report\n\n${marker}\n`, labels: ["production-alert", "critical"] });
    const result = await filer().fileIncident(draft(), FP);
    expect(result).toMatchObject({ action: "commented", number: open.number, url: `https://github.com/acme/incidents/issues/${open.number}` });
    expect(gh.comments(REPO, open.number)).toHaveLength(1);
    expect(await registry.getIssue(FP)).toEqual({ number: open.number, url: result.url });
  });

  it("follows Link pagination to find an older issue", async () => {
    const target = gh.seed(REPO, { title: "oldest", body: `r\n${fingerprintMarker(FP)}`, labels: ["production-alert"] });
    for (let i = 0; i < 130; i++) gh.seed(REPO, { title: `noise ${i}`, body: `r\n${fingerprintMarker(`n${i}`)}`, labels: ["production-alert"] });
    const result = await filer().fileIncident(draft(), FP);
    expect(result).toMatchObject({ action: "commented", number: target.number });
    expect(gh.requests.some((r) => r.path.startsWith("/repositories/") && r.path.includes("page=2"))).toBe(true);
  });

  it("files a new issue when the remembered one was closed", async () => {
    const f = filer();
    const first = await f.fileIncident(draft(), FP);
    await f.closeIssue(first);
    expect(gh.issues(REPO)[0]).toMatchObject({ state: "closed", stateReason: "completed" });
    const second = await f.fileIncident(draft(), FP);
    expect(second).toMatchObject({ action: "created", number: 2 });
    expect(await registry.getIssue(FP)).toEqual({ number: 2, url: second.url });
  });
});

describe.each(REGISTRIES)("configuration and errors (%s registry)", (kind) => {
  useRegistry(kind);
  it("reports exactly which setting is missing and calls nobody", async () => {
    const f = createIssueFiler({ repository: REPO, apiUrl: gh.url }, { registry });
    expect(f.configured).toBe(false);
    expect(f.missing).toEqual(["GITHUB_TOKEN"]);
    const e = await rejection(f.fileIncident(draft(), FP));
    expect(e.code).toBe("not_configured");
    expect(e.message).toBe("GitHub filing is not configured");
    expect(e.hint).toBe("Set GITHUB_TOKEN (a fine-grained token with Issues: read and write)");
    const both = createIssueFiler({}, { registry });
    expect(both.missing).toEqual(["GITHUB_TOKEN", "GITHUB_REPOSITORY"]);
    expect((await rejection(both.closeIssue({ number: 1, url: "" }))).hint).toBe(
      "Set GITHUB_TOKEN (a fine-grained token with Issues: read and write) and GITHUB_REPOSITORY=owner/repo",
    );
    expect(gh.requests).toHaveLength(0);
  });

  it("401: says the token was rejected", async () => {
    const e = await rejection(filer({ token: "wrong" }).fileIncident(draft(), FP));
    expect(e.message).toBe("GitHub rejected the token: check GITHUB_TOKEN");
    expect(e.details).toEqual({ githubStatus: 401 });
    expect(sleeps).toEqual([]);
  });

  it("403 without a rate limit: says the token lacks Issues: write", async () => {
    const e = await rejection(filer({ token: "read-token" }).fileIncident(draft(), FP));
    expect(e.message).toBe("The token lacks Issues: write on acme/incidents");
    expect(gh.issues(REPO)).toHaveLength(0);
  });

  it("404: names the repository to check", async () => {
    const e = await rejection(filer({ repository: "acme/typo" }).fileIncident(draft(), FP));
    expect(e.message).toBe("Repository acme/typo not found or not visible to the token: check GITHUB_REPOSITORY");
  });

  it("410: says issues are disabled", async () => {
    const e = await rejection(filer({ repository: "acme/no-issues" }).fileIncident(draft(), FP));
    expect(e.message).toBe("Issues are disabled on acme/no-issues");
  });

  it("422: passes on GitHub's field message", async () => {
    const e = await rejection(filer().fileIncident({ ...draft(), title: "" }, FP));
    expect(e.code).toBe("unprocessable");
    expect(e.message).toBe("GitHub rejected the issue content: title missing_field");
  });

  it("refuses an over-long body before calling GitHub", async () => {
    const e = await rejection(filer().commentOnIssue({ number: 1, url: "" }, "x".repeat(65_537)));
    expect(e.code).toBe("unprocessable");
    expect(gh.requests).toHaveLength(0);
  });
});

describe.each(REGISTRIES)("retries (%s registry)", (kind) => {
  useRegistry(kind);
  it("retries a 500 on create and files once", async () => {
    gh.failNext({ kind: "status", status: 500 }, { method: "POST", path: /\/issues$/ });
    const result = await filer().fileIncident(draft(), FP);
    expect(result.action).toBe("created");
    expect(gh.issues(REPO)).toHaveLength(1);
    expect(sleeps).toEqual([1000]);
    expect(gh.requests.filter((r) => r.method === "POST")).toHaveLength(2);
  });

  it("gives up on a persistent 502 after bounded attempts", async () => {
    gh.failNext({ kind: "status", status: 502 }, { times: 100 });
    const e = await rejection(filer().fileIncident(draft(), FP));
    expect(e.code).toBe("unavailable");
    expect(sleeps).toEqual([1000, 2000, 4000, 8000]);
  });

  it("says GitHub is unreachable when nothing listens at GITHUB_API_URL", async () => {
    const url = gh.url;
    await gh.close();
    const f = createIssueFiler({ token: "t", repository: REPO, apiUrl: url }, { registry, log: quiet, sleep: async (ms) => void sleeps.push(ms) });
    const e = await rejection(f.fileIncident(draft(), FP));
    expect(e.code).toBe("unavailable");
    expect(e.message).toMatch(/^GitHub is unreachable/);
    expect(e.hint).toContain("GITHUB_API_URL");
    expect(sleeps).toHaveLength(4);
    gh = await startFakeGitHub();
  });

  it("waits until x-ratelimit-reset on a primary rate limit", async () => {
    gh.failNext({ kind: "primary-rate-limit", resetInSeconds: 30 });
    const result = await filer().fileIncident(draft(), FP);
    expect(result.action).toBe("created");
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(29_000);
    expect(sleeps[0]).toBeLessThanOrEqual(31_000);
  });

  it("fails with retryAfterSeconds instead of blocking for an hour", async () => {
    gh.failNext({ kind: "primary-rate-limit", status: 429, resetInSeconds: 3600 });
    const e = await rejection(filer().fileIncident(draft(), FP));
    expect(e.code).toBe("rate_limited");
    expect(e.retryAfterSeconds).toBeGreaterThanOrEqual(3599);
    expect(e.retryAfterSeconds).toBeLessThanOrEqual(3601);
    expect(sleeps).toEqual([]);
  });

  it("honours retry-after on a secondary rate limit, and waits a minute without it", async () => {
    gh.failNext({ kind: "secondary-rate-limit", retryAfterSeconds: 7 }, { method: "POST" });
    gh.failNext({ kind: "secondary-rate-limit", status: 403 }, { method: "GET" });
    const result = await filer().fileIncident(draft(), FP);
    expect(result.action).toBe("created");
    expect(sleeps).toEqual([60_000, 7_000]);
  });
});

describe.each(REGISTRIES)("commentOnIssue (%s registry)", (kind) => {
  useRegistry(kind);
  it("posts a comment and returns its URL", async () => {
    const issue = gh.seed(REPO, { title: "t", body: "b", labels: [] });
    const { url } = await filer().commentOnIssue({ number: issue.number, url: "" }, "resolved at 10:30");
    expect(url).toBe(gh.comments(REPO, issue.number)[0]?.htmlUrl);
    expect(gh.comments(REPO, issue.number)[0]?.body).toBe("resolved at 10:30");
  });
});
