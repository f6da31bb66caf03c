import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { analysisSchema, analysisSummarySchema, type Analysis } from "@/lib/store";
import { POST as startAnalysis, GET as listAnalyses } from "@/app/api/analyses/route";
import { GET as getAnalysis } from "@/app/api/analyses/[id]/route";
import { GET as getEvents } from "@/app/api/analyses/[id]/events/route";
import { GET as getIssue, POST as fileIssue } from "@/app/api/analyses/[id]/issue/route";
import { targetFingerprint } from "@/lib/alerts/snapshot";
import { NS, POD, REPO, SECRETS, startTestConsole, type TestConsole } from "@/test/helpers/console";

const startedSchema = z.object({ id: z.uuid(), joined: z.boolean() });
const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }) });
const previewSchema = z.object({
  title: z.string(),
  labels: z.array(z.string()),
  body: z.string(),
  configured: z.boolean(),
  missing: z.array(z.string()),
  existing: z.object({ number: z.number(), url: z.string() }).optional(),
});
const filedSchema = z.object({ action: z.enum(["created", "commented"]), number: z.number(), url: z.string() });

const OTHER_POD = "fraud-scorer-triton-6b8c9d7f4-qwz4t";
const secrets = Object.values(SECRETS);

let tc: TestConsole;

beforeAll(async () => {
  tc = await startTestConsole();
});
afterAll(async () => {
  await tc?.stop();
});

async function start(body: unknown, user = "tester") {
  const { status, body: json, headers } = await tc.callJson(startAnalysis, { url: "/api/analyses", body, user });
  return { status, json, headers };
}

async function fetchAnalysis(id: string): Promise<Analysis> {
  const { status, body } = await tc.callJson(getAnalysis, { url: `/api/analyses/${id}`, params: { id } });
  expect(status).toBe(200);
  return analysisSchema.parse(body);
}

function waitFinished(id: string): Promise<Analysis> {
  return tc.waitFor(async () => {
    const a = await fetchAnalysis(id);
    return a.status === "done" || a.status === "failed" ? a : undefined;
  }, `analysis ${id} to finish`);
}

/** Read a server-sent-event stream to its end: [{event, data}]. */
async function readSse(res: Response): Promise<{ event: string; data: unknown }[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("event:"))
    .map((block) => {
      const event = /^event: (.+)$/m.exec(block)?.[1] ?? "";
      const data: unknown = JSON.parse(/^data: (.+)$/m.exec(block)?.[1] ?? "null");
      return { event, data };
    });
}

describe("POST /api/analyses → GET /api/analyses/{id}", () => {
  let id = "";

  it("answers 202 with an id, and a second request joins the running analysis", async () => {
    // The model answers slowly so the second click arrives while the first analysis runs.
    tc.gemini.enqueue({ kind: "report", delayMs: 800, chunks: 4 });
    const target = { namespace: NS, pod: POD, container: "vllm", alertname: "ModelPodOOMKilled" };
    const first = await start({ target });
    expect(first.status).toBe(202);
    const a = startedSchema.parse(first.json);
    expect(a.joined).toBe(false);
    expect(first.headers.get("location")).toBe(`/api/analyses/${a.id}`);
    id = a.id;

    const second = await start({ target }, "colleague");
    expect(second.status).toBe(202);
    expect(startedSchema.parse(second.json)).toEqual({ id, joined: true });

    // The live progress stream: progress snapshots, then exactly one done, then the stream ends.
    const res = await tc.call(getEvents, { url: `/api/analyses/${id}/events`, params: { id } });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = await readSse(res);
    expect(events.length).toBeGreaterThanOrEqual(2);
    // done carries the finished analysis, exactly as GET /api/analyses/:id answers it.
    const done = events.at(-1);
    expect(done?.event).toBe("done");
    expect(done?.data).toMatchObject({ status: "done", analysis: { id, status: "done" } });
    const read = await tc.callJson(getAnalysis, { url: `/api/analyses/${id}`, params: { id } });
    expect(done?.data).toEqual({ status: "done", analysis: read.body });
    expect(events.filter((e) => e.event === "done")).toHaveLength(1);
    const progress = events.filter((e) => e.event === "progress").map((e) => z.record(z.string(), z.object({ status: z.string() })).parse(e.data));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    const seenSteps = new Set(progress.flatMap((p) => Object.keys(p)));
    for (const step of ["pod", "logs", "events", "gemini"]) expect(seenSteps).toContain(step);
  });

  it("joins concurrent requests for the same pod into one analysis", async () => {
    const target = { namespace: NS, pod: "summarizer-mistral-7b-7c9f6d5b8-2xkvd" };
    const answers = await Promise.all(["a", "b", "c", "d"].map((u) => start({ target }, u)));
    const ids = answers.map((r) => startedSchema.parse(r.json));
    expect(new Set(ids.map((r) => r.id)).size).toBe(1);
    expect(ids.filter((r) => !r.joined)).toHaveLength(1);
    await waitFinished(ids[0]?.id ?? "");
  });

  it("stores a Gemini report, its markdown and the redacted bundle", async () => {
    const a = await waitFinished(id);
    expect(a.status).toBe("done");
    expect(a.startedBy).toBe("tester");
    expect(a.report?.source).toBe("gemini");
    expect(a.report?.model).toBe("gemini-3.8-flash");
    expect(a.report?.hypotheses.length).toBeGreaterThan(0);
    expect(a.markdown).toContain(a.report?.summary ?? "<no summary>");
    expect(a.bundle?.redacted).toBe(true);
    expect(a.bundle?.pod).toBeTruthy();
    expect(a.bundle?.logs).toContain("Starting to load model");
    // The fake model quotes the "Killed" line of the previous container; grounding finds it.
    const quotes = a.report?.hypotheses.flatMap((h) => h.evidence) ?? [];
    expect(quotes.some((q) => q.text === "Killed" && q.verified)).toBe(true);
  });

  it("lets no planted secret reach the store, the report, the markdown or Gemini", async () => {
    // The fake cluster really serves them, so their absence below is redaction's doing.
    const served = JSON.stringify(tc.kube.state);
    for (const s of secrets) expect(served).toContain(s);

    const a = await fetchAnalysis(id);
    const stored = JSON.stringify(a);
    const gem = tc.gemini.requests.map((r) => JSON.stringify(r.body));
    expect(gem.length).toBeGreaterThan(0);
    expect(gem.join("\n")).toContain("Allocating 16.0 GiB of pinned host memory");
    for (const s of secrets) {
      expect(stored).not.toContain(s);
      expect(a.markdown ?? "").not.toContain(s);
      for (const body of gem) expect(body).not.toContain(s);
    }
    expect(stored).toContain("[REDACTED:");
  });

  it("lists history filtered by alert, namespace and fingerprint", async () => {
    const other = startedSchema.parse((await start({ target: { namespace: NS, pod: OTHER_POD, alertname: "ModelPodNotRunning" } })).json);
    await waitFinished(other.id);

    const list = async (q: string) => {
      const { status, body } = await tc.callJson(listAnalyses, { url: `/api/analyses${q}` });
      expect(status).toBe(200);
      return z.object({ analyses: z.array(analysisSummarySchema) }).parse(body).analyses;
    };
    const all = await list("");
    expect(all.map((x) => x.id)).toEqual(expect.arrayContaining([id, other.id]));
    expect((await list("?alertname=ModelPodNotRunning")).map((x) => x.id)).toEqual([other.id]);
    expect((await list(`?namespace=${NS}`)).length).toBe(all.length);
    expect(await list("?namespace=elsewhere")).toEqual([]);
    const fp = (await fetchAnalysis(id)).fingerprint;
    expect((await list(`?fingerprint=${fp}`)).map((x) => x.id)).toEqual([id]);
    expect(await list(`?since=${new Date(Date.now() + 3600_000).toISOString()}`)).toEqual([]);

    const bad = await tc.callJson(listAnalyses, { url: "/api/analyses?limit=100000" });
    expect(bad.status).toBe(422);
    expect(errorSchema.parse(bad.body).error.message).toMatch(/^Page size must be at most/);
  });
});

describe("issues", () => {
  let id = "";

  beforeAll(async () => {
    id = startedSchema.parse((await start({ target: { namespace: NS, pod: POD, alertname: "ModelPodOOMKilled" }, force: true })).json).id;
    await waitFinished(id);
  });

  it("previews the issue with the title and labels it will have", async () => {
    const { status, body } = await tc.callJson(getIssue, { url: `/api/analyses/${id}/issue`, params: { id } });
    expect(status).toBe(200);
    const p = previewSchema.parse(body);
    expect(p.configured).toBe(true);
    expect(p.title).toBe(`[PRODUCTION ALERT] ModelPodOOMKilled - ${POD}`);
    expect(p.labels).toContain("production-alert");
    expect(p.existing).toBeUndefined();
    for (const s of secrets) expect(p.body).not.toContain(s);
  });

  it("files it in GitHub once: filing again returns the same issue", async () => {
    const first = await tc.callJson(fileIssue, { method: "POST", url: `/api/analyses/${id}/issue`, params: { id } });
    expect(first.status).toBe(201);
    const filed = filedSchema.parse(first.body);
    expect(filed.action).toBe("created");
    const issues = tc.github.issues(REPO);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.number).toBe(filed.number);
    expect(issues[0]?.title).toBe(`[PRODUCTION ALERT] ModelPodOOMKilled - ${POD}`);
    expect(issues[0]?.labels).toContain("production-alert");
    for (const s of secrets) expect(issues[0]?.body ?? "").not.toContain(s);

    const again = await tc.callJson(fileIssue, { method: "POST", url: `/api/analyses/${id}/issue`, params: { id } });
    expect(again.status).toBe(201);
    expect(filedSchema.parse(again.body).number).toBe(filed.number);
    expect(tc.github.issues(REPO)).toHaveLength(1);

    const a = await fetchAnalysis(id);
    expect(a.issueUrl).toBe(filed.url);
    expect(a.filedBy).toBe("tester");
    const preview = previewSchema.parse((await tc.callJson(getIssue, { url: `/api/analyses/${id}/issue`, params: { id } })).body);
    expect(preview.existing?.number).toBe(filed.number);
  });

  it("refuses to file an analysis that does not exist or has not finished", async () => {
    const missing = await tc.callJson(fileIssue, { method: "POST", url: "/api/analyses/nope/issue", params: { id: "nope" } });
    expect(missing.status).toBe(404);
    expect(errorSchema.parse(missing.body).error.code).toBe("not_found");
  });

  it("refuses to file, with the reason, an analysis of a pod that was not found", async () => {
    const pod = "llm-chat-vllm-no-such-pod";
    const gone = startedSchema.parse((await start({ target: { namespace: NS, pod, alertname: "ModelPodOOMKilled" }, force: true })).json).id;
    const a = await waitFinished(gone);
    expect(a.report?.fileable).toBe(false);
    const preview = z.object({ refused: z.string() }).parse((await tc.callJson(getIssue, { url: `/api/analyses/${gone}/issue`, params: { id: gone } })).body);
    expect(preview.refused).toMatch(new RegExp(`^The pod ${NS}/${pod} was not found when the evidence was gathered`));
    const before = tc.github.requests.length;
    const filed = await tc.callJson(fileIssue, { method: "POST", url: `/api/analyses/${gone}/issue`, params: { id: gone } });
    expect(filed.status).toBe(409);
    const err = errorSchema.parse(filed.body).error;
    expect(err).toMatchObject({ code: "conflict", message: preview.refused });
    expect(err.hint).toMatch(/current pods/);
    expect(tc.github.requests.length).toBe(before);
  });

  it("without GitHub configured, previews the issue and says which settings are missing", async () => {
    await tc.restart({ GITHUB_TOKEN: "", GITHUB_REPOSITORY: "" });
    try {
      const { status, body } = await tc.callJson(getIssue, { url: `/api/analyses/${id}/issue`, params: { id } });
      expect(status).toBe(200);
      const p = previewSchema.parse(body);
      expect(p.configured).toBe(false);
      expect(p.missing).toEqual(["GITHUB_TOKEN", "GITHUB_REPOSITORY"]);
      expect(p.title).toBe(`[PRODUCTION ALERT] ModelPodOOMKilled - ${POD}`);

      const other = startedSchema.parse((await start({ target: { namespace: NS, pod: OTHER_POD } })).json).id;
      await waitFinished(other);
      const before = tc.github.requests.length;
      const filed = await tc.callJson(fileIssue, { method: "POST", url: `/api/analyses/${other}/issue`, params: { id: other } });
      expect(filed.status).toBe(503);
      const err = errorSchema.parse(filed.body).error;
      expect(err.code).toBe("not_configured");
      expect(err.hint).toContain("GITHUB_TOKEN");
      expect(err.hint).toContain("GITHUB_REPOSITORY");
      expect(tc.github.requests.length).toBe(before);
    } finally {
      await tc.restart({ GITHUB_TOKEN: "test-token", GITHUB_REPOSITORY: REPO });
    }
  });
});

describe("degraded analyses still produce a report", () => {
  it("falls back to the offline report, labelled with the reason, after 429, 429 and 503", async () => {
    tc.gemini.enqueue({ kind: "error", status: 429, retryDelay: "0.1s" }, { kind: "error", status: 429, retryDelay: "0.1s" }, { kind: "error", status: 503 });
    const before = tc.gemini.requests.length;
    const { id } = startedSchema.parse((await start({ target: { namespace: NS, pod: POD }, force: true })).json);
    const a = await waitFinished(id);
    expect(a.status).toBe("done");
    expect(tc.gemini.requests.length - before).toBe(3);
    expect(a.report?.source).toBe("offline");
    expect(a.report?.offlineReason).toMatch(/503/);
    expect(a.markdown).toContain("Offline analysis (Gemini unavailable:");
    expect(a.report?.hypotheses[0]?.category).toBe("oom_killed");
  });

  it("reports a vanished pod in bundle.errors and still finishes", async () => {
    const gone = "whisper-asr-large-v3-84c7b9d5f6-m9zpl";
    tc.kube.deletePod(NS, gone);
    const { id } = startedSchema.parse((await start({ target: { namespace: NS, pod: gone } })).json);
    const a = await waitFinished(id);
    expect(a.status).toBe("done");
    expect(a.report).toBeDefined();
    expect(a.markdown?.length).toBeGreaterThan(0);
    const podError = a.bundle?.errors.find((e) => e.part === "pod");
    expect(podError?.message).toContain(`${NS}/${gone}`);
    expect(podError?.code).toBe(404);
  });

  it("does not join an analysis whose job failed on its last attempt: the zombie fails with its reason, a new one starts", async () => {
    const s = await tc.services();
    const target = { namespace: NS, pod: "llama-guard-5d8f7c6b9-z0mbi" };
    const zombie = "00000000-0000-4000-8000-00000000dead";
    // What a kill -9 on the last attempt left before this fix: the job failed, the analysis "running".
    await s.store.enqueueAnalyses([
      {
        job: { kind: "analyze", dedupKey: `zombie:${zombie}`, analysisId: zombie, payload: { analysisId: zombie }, maxAttempts: 1 },
        analysis: { id: zombie, fingerprint: targetFingerprint(target), trigger: "manual", target, status: "running" },
      },
    ]);
    await s.store.db
      .updateTable("jobs")
      .set({ status: "failed", attempts: 1, last_error: "Interrupted on its last attempt: its worker node-1:7:0badf00d stopped renewing its lease." })
      .where("analysis_id", "=", zombie)
      .execute();

    const r = startedSchema.parse((await start({ target })).json);
    expect(r.joined).toBe(false);
    expect(r.id).not.toBe(zombie);
    const dead = await fetchAnalysis(zombie);
    expect(dead.status).toBe("failed");
    expect(dead.error).toContain("node-1:7:0badf00d");
    // Its stream ends at once with the reason instead of waiting for a run that will never come.
    const events = await readSse(await tc.call(getEvents, { url: `/api/analyses/${zombie}/events`, params: { id: zombie } }));
    expect(events.at(-1)).toMatchObject({ event: "done", data: { status: "failed", analysis: { error: dead.error } } });
    expect((await waitFinished(r.id)).status).toBe("done");
  });

  it("ends the progress stream of an analysis settled outside this process's handlers, with the reason", async () => {
    const s = await tc.services();
    const target = { namespace: NS, pod: "embed-settled-6c5d4b3a2-qq1zz" };
    const id = "00000000-0000-4000-8000-0000005e771e";
    // A job that waits an hour: this process's worker leaves it alone.
    await s.store.enqueueAnalyses([
      {
        job: { kind: "analyze", dedupKey: `settled:${id}`, analysisId: id, payload: { analysisId: id }, runAfter: new Date(Date.now() + 3600_000) },
        analysis: { id, fingerprint: targetFingerprint(target), trigger: "webhook", target },
      },
    ]);
    const res = await tc.call(getEvents, { url: `/api/analyses/${id}/events`, params: { id } });
    const stream = readSse(res);
    // Past the route's own first read (a settled analysis at open ends the stream on any version).
    await new Promise((r) => setTimeout(r, 300));
    // Another process's sweep settles it (no event on this process's bus).
    await s.store.updateAnalysis(id, { status: "failed", error: "The analysis job failed after 3 attempts: node-2 died", finishedAt: new Date() });
    const events = await stream;
    expect(events[0]).toMatchObject({ event: "progress" });
    expect(events.at(-1)).toMatchObject({ event: "done", data: { status: "failed", analysis: { error: "The analysis job failed after 3 attempts: node-2 died" } } });
    await s.store.db.deleteFrom("jobs").where("analysis_id", "=", id).execute();
  });

  it("answers 422 naming the field for a bad target, and 400 for a body that is not JSON", async () => {
    const bad = await start({ target: { namespace: "Not_A_Label", pod: POD } });
    expect(bad.status).toBe(422);
    const err = errorSchema.parse(bad.json).error;
    expect(err.code).toBe("unprocessable");
    expect(err.message).toMatch(/^Namespace is not valid/);

    const neither = await start({});
    expect(neither.status).toBe(422);
    expect(errorSchema.parse(neither.json).error.message).toMatch(/fingerprint or a target/);

    const notJson = await start("{not json");
    expect(notJson.status).toBe(400);
    expect(errorSchema.parse(notJson.json).error.code).toBe("bad_request");

    const unknown = await tc.callJson(getAnalysis, { url: "/api/analyses/0000", params: { id: "0000" } });
    expect(unknown.status).toBe(404);
  });
});
