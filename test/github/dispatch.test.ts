import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { Octokit } from "@octokit/rest";
import { parseConfig } from "@/lib/config";
import { isAppError, type AppError } from "@/lib/errors";
import { WORKFLOW_INPUT_NAMES, createWorkflowDispatcher, githubWebUrl, unexpectedInputs, workflowInputs } from "@/lib/github/dispatch";
import { fakeWorkflowFromYaml, startFakeGitHub, type FakeGitHub } from "@/test/fakes/github-server";

const ROOT = join(import.meta.dirname, "..", "..");
const WORKFLOW_FILE = "ai-log-analysis.yml";
const workflowText = readFileSync(join(ROOT, ".github", "workflows", WORKFLOW_FILE), "utf8");
const REPO = "acme/incidents";
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** The workflow_dispatch inputs the workflow file declares, read from the file itself. */
function declaredInputs(): Record<string, { required?: boolean; type?: string; options?: string[] }> {
  const doc = z
    .object({
      on: z.object({
        workflow_dispatch: z.object({
          inputs: z.record(z.string(), z.object({ required: z.boolean().optional(), type: z.string().optional(), options: z.array(z.string()).optional() })),
        }),
      }),
    })
    .parse(parse(workflowText));
  return doc.on.workflow_dispatch.inputs;
}

const labels = { alertname: "ModelPodOOMKilled", severity: "critical", namespace: "ml-serving", pod: "vllm-0", cluster: "prod-eu" };
const target = { namespace: "ml-serving", pod: "vllm-0", cluster: "prod-eu" };

let gh: FakeGitHub;
beforeEach(async () => {
  gh = await startFakeGitHub({ repos: [REPO], tokens: { "test-token": "write", "read-token": "read" } });
  gh.addWorkflow(REPO, fakeWorkflowFromYaml(WORKFLOW_FILE, workflowText));
});
afterEach(async () => {
  await gh.close();
});

function dispatcher(env: Record<string, string> = {}, now?: () => number) {
  const config = parseConfig({ GITHUB_TOKEN: "test-token", GITHUB_REPOSITORY: REPO, GITHUB_API_URL: gh.url, ...env });
  return createWorkflowDispatcher(config.github, { now });
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (isAppError(e)) return e;
    throw e;
  }
  throw new Error("expected the dispatch to fail");
}

describe("the workflow's declared inputs", () => {
  it("are exactly the inputs the receiver sends, with values the workflow accepts", () => {
    const declared = declaredInputs();
    expect(Object.keys(declared).sort()).toEqual([...WORKFLOW_INPUT_NAMES].sort());
    for (const severity of ["critical", "CRITICAL", "warning", "info", "page", ""]) {
      const inputs = workflowInputs({ ...labels, severity }, target);
      expect(Object.keys(inputs).sort()).toEqual(Object.keys(declared).sort());
      for (const [name, value] of Object.entries(inputs)) {
        expect(typeof value, name).toBe("string");
        const spec = declared[name];
        if (spec?.required) expect(value, `${name} is required`).not.toBe("");
        if (spec?.type === "choice") expect(spec.options, `${name}=${value} is one of the workflow's options`).toContain(value);
      }
    }
    expect(workflowInputs(labels, target)).toEqual({ pod_name: "vllm-0", namespace: "ml-serving", alert_name: "ModelPodOOMKilled", cluster: "prod-eu", severity: "critical" });
    expect(workflowInputs({ ...labels, severity: "info" }, { namespace: "ns", pod: "p" })).toMatchObject({ cluster: "", severity: "warning" });
  });
});

describe("fake GitHub: the dispatch endpoint's wire format", () => {
  const octokit = () => new Octokit({ auth: "test-token", baseUrl: gh.url, log: silent });

  it("answers 204 with no body and records the run", async () => {
    const res = await fetch(`${gh.url}/repos/${REPO}/actions/workflows/${WORKFLOW_FILE}/dispatches`, {
      method: "POST",
      headers: { authorization: "token test-token", "content-type": "application/json" },
      body: JSON.stringify({ ref: "main", inputs: { pod_name: "p", namespace: "n", severity: "warning" } }),
    });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect(gh.dispatches(REPO)).toEqual([{ repo: REPO, workflow: WORKFLOW_FILE, ref: "main", inputs: { pod_name: "p", namespace: "n", severity: "warning" } }]);
  });

  it("answers 404 Not Found for an unknown workflow and 422 with GitHub's messages for bad refs and inputs", async () => {
    const call = async (workflow_id: string, ref: string, inputs: Record<string, string>) => {
      try {
        await octokit().rest.actions.createWorkflowDispatch({ owner: "acme", repo: "incidents", workflow_id, ref, inputs });
      } catch (e) {
        const r = z.object({ status: z.number(), response: z.object({ data: z.object({ message: z.string(), status: z.string() }) }) }).parse(e);
        return { status: r.status, message: r.response.data.message };
      }
      return { status: 204, message: "" };
    };
    const ok = { pod_name: "p", namespace: "n", severity: "warning" };
    expect(await call("nope.yml", "main", ok)).toEqual({ status: 404, message: "Not Found" });
    expect(await call(WORKFLOW_FILE, "nope", ok)).toEqual({ status: 422, message: "No ref found for: nope" });
    expect(await call(WORKFLOW_FILE, "main", { ...ok, foo: "1", bar: "2" })).toEqual({ status: 422, message: 'Unexpected inputs provided: ["foo","bar"]' });
    expect(await call(WORKFLOW_FILE, "main", { namespace: "n", severity: "warning" })).toEqual({ status: 422, message: "Required input 'pod_name' not provided" });
    expect(await call(WORKFLOW_FILE, "main", { ...ok, severity: "info" })).toEqual({ status: 422, message: "Provided value 'info' for input 'severity' not in the list of allowed values" });
    expect(gh.dispatches()).toEqual([]);
  });
});

describe("createWorkflowDispatcher", () => {
  it("starts the workflow on GITHUB_WORKFLOW_REF with exactly the declared inputs", async () => {
    gh.addWorkflow(REPO, { ...fakeWorkflowFromYaml(WORKFLOW_FILE, workflowText), refs: ["main", "release"] });
    await dispatcher({ GITHUB_WORKFLOW_REF: "release" }).dispatch(workflowInputs(labels, target));
    expect(gh.dispatches(REPO)).toEqual([{ repo: REPO, workflow: WORKFLOW_FILE, ref: "release", inputs: workflowInputs(labels, target) }]);
    const req = gh.requests.find((r) => r.path.endsWith("/dispatches"));
    expect(req).toMatchObject({ method: "POST", path: `/repos/${REPO}/actions/workflows/${WORKFLOW_FILE}/dispatches`, authorization: "token test-token" });
  });

  it("says the workflow is missing on that ref (404), naming the settings to check", async () => {
    const e = await failure(dispatcher({ GITHUB_WORKFLOW: "analysis.yaml" }).dispatch(workflowInputs(labels, target)));
    expect(e.code).toBe("not_found");
    expect(e.message).toBe(`Workflow analysis.yaml not found on ref main of ${REPO}, or the token cannot see it`);
    expect(e.hint).toMatch(/GITHUB_WORKFLOW.*GITHUB_WORKFLOW_REF/);
  });

  it("says the token lacks actions: write (403)", async () => {
    const config = parseConfig({ GITHUB_TOKEN: "read-token", GITHUB_REPOSITORY: REPO, GITHUB_API_URL: gh.url });
    const e = await failure(createWorkflowDispatcher(config.github).dispatch(workflowInputs(labels, target)));
    expect(e.code).toBe("forbidden");
    expect(e.message).toContain("lacks actions: write");
    expect(e.hint).toContain("Actions: read and write");
  });

  it("names the inputs the workflow does not declare (422)", async () => {
    // The workflow on the ref is an older one that declares only pod_name and namespace.
    gh.addWorkflow(REPO, { file: WORKFLOW_FILE, inputs: { pod_name: { required: true }, namespace: { required: true } } });
    const e = await failure(dispatcher().dispatch(workflowInputs(labels, target)));
    expect(e.code).toBe("unprocessable");
    expect(e.message).toBe(`Workflow ${WORKFLOW_FILE} on main does not declare the inputs alert_name, cluster, severity that the console sends`);
    expect(e.details?.unexpectedInputs).toEqual(["alert_name", "cluster", "severity"]);
    expect(e.hint).toContain("pod_name, namespace, alert_name, cluster, severity");
  });

  it("says when the ref does not exist (422 No ref found)", async () => {
    const e = await failure(dispatcher({ GITHUB_WORKFLOW_REF: "mian" }).dispatch(workflowInputs(labels, target)));
    expect(e.code).toBe("unprocessable");
    expect(e.message).toBe(`GITHUB_WORKFLOW_REF mian is not a branch or tag of ${REPO}`);
  });

  it("turns rate limits into rate_limited with the wait their headers give, and 5xx into unavailable", async () => {
    const now = Date.now();
    gh.failNext({ kind: "primary-rate-limit", resetInSeconds: 120 }, { path: /dispatches$/ });
    const primary = await failure(dispatcher({}, () => now).dispatch(workflowInputs(labels, target)));
    expect(primary.code).toBe("rate_limited");
    expect(primary.retryAfterSeconds).toBeGreaterThanOrEqual(115);
    expect(primary.retryAfterSeconds).toBeLessThanOrEqual(125);

    gh.failNext({ kind: "secondary-rate-limit", status: 429, retryAfterSeconds: 7 }, { path: /dispatches$/ });
    const secondary = await failure(dispatcher().dispatch(workflowInputs(labels, target)));
    expect(secondary).toMatchObject({ code: "rate_limited", retryAfterSeconds: 7 });

    gh.failNext({ kind: "status", status: 502 }, { path: /dispatches$/ });
    expect((await failure(dispatcher().dispatch(workflowInputs(labels, target)))).code).toBe("unavailable");
    expect(gh.dispatches()).toEqual([]);
  });

  it("reports missing settings instead of calling GitHub", async () => {
    const d = createWorkflowDispatcher(parseConfig({ GITHUB_API_URL: gh.url }).github);
    expect(d.configured).toBe(false);
    const e = await failure(d.dispatch(workflowInputs(labels, target)));
    expect(e.code).toBe("not_configured");
    expect(e.hint).toContain("GITHUB_TOKEN");
    expect(gh.requests).toEqual([]);
  });

  it("links the workflow's runs page on github.com, GHES and GHE.com", () => {
    expect(githubWebUrl(undefined)).toBe("https://github.com");
    expect(githubWebUrl("https://api.github.com")).toBe("https://github.com");
    expect(githubWebUrl("https://ghe.example.com/api/v3")).toBe("https://ghe.example.com");
    expect(githubWebUrl("https://api.acme.ghe.com")).toBe("https://acme.ghe.com");
    const cfg = (apiUrl?: string) => parseConfig({ GITHUB_TOKEN: "t", GITHUB_REPOSITORY: REPO, ...(apiUrl ? { GITHUB_API_URL: apiUrl } : {}) }).github;
    expect(createWorkflowDispatcher(cfg()).runsUrl).toBe(`https://github.com/${REPO}/actions/workflows/${WORKFLOW_FILE}`);
    expect(createWorkflowDispatcher(cfg("https://ghe.example.com/api/v3/")).runsUrl).toBe(`https://ghe.example.com/${REPO}/actions/workflows/${WORKFLOW_FILE}`);
  });

  it("parses GitHub's unexpected-inputs message", () => {
    expect(unexpectedInputs('Unexpected inputs provided: ["foo"]')).toEqual(["foo"]);
    expect(unexpectedInputs('Unexpected inputs provided: ["a", "b"]')).toEqual(["a", "b"]);
    expect(unexpectedInputs("Required input 'x' not provided")).toBeUndefined();
  });
});

describe("configuration", () => {
  it("defaults to analyze mode and ai-log-analysis.yml on main", () => {
    const c = parseConfig({});
    expect(c.webhook.mode).toBe("analyze");
    expect(c.github).toMatchObject({ workflow: "ai-log-analysis.yml", workflowRef: "main" });
  });

  it("names what dispatch mode needs and refuses bad values", () => {
    expect(() => parseConfig({ WEBHOOK_MODE: "dispatch" })).toThrow(/WEBHOOK_MODE=dispatch .* needs GITHUB_TOKEN .* and GITHUB_REPOSITORY/);
    expect(() => parseConfig({ WEBHOOK_MODE: "both" })).toThrow(/WEBHOOK_MODE must be analyze .* or dispatch/);
    expect(() => parseConfig({ GITHUB_WORKFLOW: "../x" })).toThrow(/GITHUB_WORKFLOW must be the workflow's file name/);
    expect(() => parseConfig({ GITHUB_WORKFLOW_REF: "a b" })).toThrow(/GITHUB_WORKFLOW_REF must be a branch or tag/);
    expect(parseConfig({ WEBHOOK_MODE: "dispatch", GITHUB_TOKEN: "t", GITHUB_REPOSITORY: REPO }).webhook.mode).toBe("dispatch");
  });
});
