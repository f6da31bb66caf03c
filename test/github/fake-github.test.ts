import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Octokit } from "@octokit/rest";
import { startFakeGitHub, type FakeGitHub } from "@/test/fakes/github-server";

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let gh: FakeGitHub;
let octokit: Octokit;

beforeEach(async () => {
  gh = await startFakeGitHub({ repos: ["acme/incidents"] });
  octokit = new Octokit({ auth: "test-token", baseUrl: gh.url, log: silent });
});
afterEach(async () => {
  await gh.close();
});

async function status(p: Promise<unknown>): Promise<{ status: unknown; data: unknown }> {
  try {
    await p;
  } catch (e) {
    if (e && typeof e === "object" && "status" in e && "response" in e && e.response && typeof e.response === "object" && "data" in e.response) {
      return { status: e.status, data: e.response.data };
    }
    throw e;
  }
  throw new Error("expected the request to fail");
}

describe("fake GitHub wire format", () => {
  it("creates issues with increasing numbers and 201", async () => {
    const a = await octokit.rest.issues.create({ owner: "acme", repo: "incidents", title: "a", body: "x", labels: ["production-alert"] });
    const b = await octokit.rest.issues.create({ owner: "acme", repo: "incidents", title: "b" });
    expect(a.status).toBe(201);
    expect([a.data.number, b.data.number]).toEqual([1, 2]);
    expect(a.data.html_url).toBe("https://github.com/acme/incidents/issues/1");
    expect(a.data.labels).toEqual([expect.objectContaining({ name: "production-alert", color: "ededed" })]);
    expect(b.data.body).toBeNull();
  });

  it("answers 422 Validation Failed for a body over 65,536 characters", async () => {
    const r = await status(octokit.rest.issues.create({ owner: "acme", repo: "incidents", title: "a", body: "x".repeat(65_537) }));
    expect(r.status).toBe(422);
    expect(r.data).toEqual({
      message: "Validation Failed",
      errors: [{ resource: "Issue", code: "custom", field: "body", message: "body is too long (maximum is 65536 characters)" }],
      documentation_url: "https://docs.github.com/rest",
      status: "422",
    });
    await expect(octokit.rest.issues.create({ owner: "acme", repo: "incidents", title: "a", body: "x".repeat(65_536) })).resolves.toBeDefined();
  });

  it("answers 401 Bad credentials and accepts Bearer tokens", async () => {
    const bad = new Octokit({ auth: "nope", baseUrl: gh.url, log: silent });
    const r = await status(bad.rest.issues.get({ owner: "acme", repo: "incidents", issue_number: 1 }));
    expect(r).toEqual({ status: 401, data: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" } });
    const res = await fetch(`${gh.url}/repos/acme/incidents/issues`, { headers: { authorization: "Bearer test-token" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("answers 404 for unknown repositories and issues", async () => {
    expect((await status(octokit.rest.issues.get({ owner: "acme", repo: "nope", issue_number: 1 }))).status).toBe(404);
    expect((await status(octokit.rest.issues.get({ owner: "acme", repo: "incidents", issue_number: 9 }))).status).toBe(404);
  });

  it("lists with ANDed labels, includes pull requests, and paginates with Link", async () => {
    gh.seed("acme/incidents", { title: "pr", body: "", labels: ["a", "b"], pullRequest: true });
    gh.seed("acme/incidents", { title: "only a", body: "", labels: ["a"] });
    for (let i = 0; i < 3; i++) gh.seed("acme/incidents", { title: `ab ${i}`, body: "", labels: ["b", "a"] });
    const page = await octokit.rest.issues.listForRepo({ owner: "acme", repo: "incidents", labels: "a,b", per_page: 2 });
    expect(page.data.map((i) => i.title)).toEqual(["ab 2", "ab 1"]);
    expect(page.headers.link).toMatch(/<http:\/\/127\.0\.0\.1:\d+\/repositories\/\d+\/issues\?[^>]*page=2>; rel="next"/);
    const all = await octokit.paginate(octokit.rest.issues.listForRepo, { owner: "acme", repo: "incidents", labels: "a,b", per_page: 2 });
    expect(all.map((i) => i.title)).toEqual(["ab 2", "ab 1", "ab 0", "pr"]);
    expect(all.at(-1)?.pull_request).toBeDefined();
  });

  it("sends rate-limit headers and scripted 403 rate limits", async () => {
    gh.failNext({ kind: "primary-rate-limit", resetInSeconds: 60 });
    const r = await octokit.rest.issues.get({ owner: "acme", repo: "incidents", issue_number: 1 }).catch((e: unknown) => e);
    expect(r).toMatchObject({ status: 403, response: { headers: { "x-ratelimit-remaining": "0" } } });
    const ok = await octokit.rest.issues.listForRepo({ owner: "acme", repo: "incidents" });
    expect(Number(ok.headers["x-ratelimit-reset"])).toBeGreaterThan(Date.now() / 1000);
  });
});
