import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { analysisSchema } from "@/lib/store";
import { POST as startAnalysis, GET as listAnalyses } from "@/app/api/analyses/route";
import { GET as getAnalysis } from "@/app/api/analyses/[id]/route";
import { POST as fileIssue } from "@/app/api/analyses/[id]/issue/route";
import { GET as getFeedback, POST as postFeedback } from "@/app/api/analyses/[id]/feedback/route";
import { feedbackStateSchema } from "@/lib/feedback/api";
import { analysisListResponseSchema } from "@/lib/analysis/api";
import { getMetrics } from "@/lib/metrics";
import { NS, POD, REPO, SECRETS, startTestConsole, type TestConsole } from "@/test/helpers/console";
import { sampleReport } from "@/test/store/helpers";

const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }) });

let tc: TestConsole;

beforeAll(async () => {
  tc = await startTestConsole();
});
afterAll(async () => {
  await tc?.stop();
});

const give = (id: string, body: unknown, user = "alice@example.com") => tc.callJson(postFeedback, { method: "POST", url: `/api/analyses/${id}/feedback`, params: { id }, body, user });
const read = async (id: string) => feedbackStateSchema.parse((await tc.callJson(getFeedback, { url: `/api/analyses/${id}/feedback`, params: { id } })).body);

/** A finished analysis written straight to the store: a report with two hypotheses, the first one categorised. */
async function storedAnalysis(fingerprint: string) {
  const s = await tc.services();
  const a = await s.store.createAnalysis({ fingerprint, trigger: "manual", target: { namespace: NS, pod: `${fingerprint}-pod` } });
  const report = sampleReport("Container OOMKilled at its limit", { source: "offline" });
  const [first, ...rest] = report.hypotheses;
  if (!first) throw new Error("sampleReport has no hypothesis");
  report.hypotheses = [{ ...first, category: "oom_killed" }, ...rest];
  return s.store.updateAnalysis(a.id, { status: "done", report });
}

async function metricValue(labels: Record<string, string>): Promise<number> {
  const m = await getMetrics().feedback.get();
  return m.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k as "verdict" | "source"] === x))?.value ?? 0;
}

describe("POST /api/analyses/:id/feedback", () => {
  it("refuses input it cannot store, saying in words what is wrong", async () => {
    const a = await storedAnalysis("fp-validate");
    const cases: [unknown, RegExp][] = [
      [{ rank: null, fix: "restarted" }, /actual cause is missing/i],
      [{ rank: 4, fix: "x" }, /Rank must be at most 3/],
      [{ rank: 1 }, /Fix is missing/],
      [{ rank: 1, fix: "x".repeat(4001) }, /Fix is too long \(at most 4000 characters\)/],
      [{ rank: 1, fix: "x", category: "oom_killed" }, /category goes with rank null only/i],
      [{ rank: null, actualCause: "bad node", fix: "x", category: "cosmic_rays" }, /Category must be one of: oom_killed/],
      [{ rank: 1, fix: "x", verdict: "yes" }, /unknown field.*verdict/],
      [{ rank: 3, fix: "x" }, /The report has 2 hypotheses; there is no #3/],
    ];
    for (const [body, message] of cases) {
      const r = await give(a.id, body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(errorSchema.parse(r.body).error.message).toMatch(message);
    }
    const big = await tc.callJson(postFeedback, { method: "POST", url: `/api/analyses/${a.id}/feedback`, params: { id: a.id }, body: { rank: 1, fix: "y".repeat(20_000) } });
    expect(big.status).toBe(413);
    const missing = await give("no-such-analysis", { rank: 1, fix: "x" });
    expect(missing.status).toBe(404);
    expect((await read(a.id)).history).toEqual([]);
  });

  it("refuses feedback on an analysis that has not finished", async () => {
    const s = await tc.services();
    const a = await s.store.createAnalysis({ fingerprint: "fp-running", trigger: "manual", status: "running" });
    const r = await give(a.id, { rank: 1, fix: "x" });
    expect(r.status).toBe(409);
    expect(errorSchema.parse(r.body).error.message).toMatch(/only a finished analysis can get feedback/);
  });

  it("stores it with who and when, audits and counts it; without an issue no comment is posted; the latest wins, the history stays", async () => {
    const a = await storedAnalysis("fp-noissue");
    const before = tc.github.requests.length;
    const n = await metricValue({ verdict: "1", source: "offline" });
    const first = await give(a.id, { rank: 1, fix: "raised the memory limit to 40Gi" });
    expect(first.status).toBe(201);
    const state = feedbackStateSchema.parse(first.body);
    expect(state.feedback).toMatchObject({ actor: "alice@example.com", rank: 1, hypothesisTitle: "Container OOMKilled at its limit", category: "oom_killed", comment: { status: "no_issue" } });
    expect(await metricValue({ verdict: "1", source: "offline" })).toBe(n + 1);

    const second = await give(a.id, { rank: null, actualCause: `a noisy neighbour; password=${SECRETS.dbPassword}`, fix: "moved the pod", category: "node_pressure" }, "bob@example.com");
    expect(second.status).toBe(201);
    const now = await read(a.id);
    expect(now.feedback).toMatchObject({ actor: "bob@example.com", rank: null, category: "node_pressure" });
    expect(now.feedback?.actualCause).not.toContain(SECRETS.dbPassword);
    expect(now.feedback?.actualCause).toContain("REDACTED");
    expect(now.history.map((f) => f.actor)).toEqual(["bob@example.com", "alice@example.com"]);
    expect(tc.github.requests.length).toBe(before);

    const audit = await (await tc.services()).store.listAudit({ action: "analysis.feedback", target: a.fingerprint });
    expect(audit.map((e) => e.actor)).toEqual(["bob@example.com", "alice@example.com"]);
    expect(audit[1]?.details).toMatchObject({ analysisId: a.id, rank: 1, comment: "no_issue" });

    // The history list carries the verdict.
    const list = analysisListResponseSchema.parse((await tc.callJson(listAnalyses, { url: "/api/analyses?fingerprint=fp-noissue" })).body);
    expect(list.analyses[0]?.feedback).toMatchObject({ rank: null, category: "node_pressure" });
  });

  it("posts the feedback as a comment on the incident's issue through a durable job", async () => {
    const started = await tc.callJson(startAnalysis, { url: "/api/analyses", body: { target: { namespace: NS, pod: POD, alertname: "ModelPodOOMKilled" } } });
    const id = z.object({ id: z.string() }).parse(started.body).id;
    await tc.waitFor(async () => {
      const a = analysisSchema.parse((await tc.callJson(getAnalysis, { url: `/api/analyses/${id}`, params: { id } })).body);
      return a.status === "done" ? a : undefined;
    }, "the analysis to finish");
    const filed = z.object({ number: z.number() }).parse((await tc.callJson(fileIssue, { method: "POST", url: `/api/analyses/${id}/issue`, params: { id } })).body);

    const r = await give(id, { rank: 1, fix: `bumped the limit; token ${SECRETS.hfToken}` });
    expect(r.status).toBe(201);
    expect(feedbackStateSchema.parse(r.body).feedback?.comment.status).toBe("pending");
    const posted = await tc.waitFor(async () => {
      const f = (await read(id)).feedback;
      return f?.comment.status === "posted" ? f : undefined;
    }, "the feedback comment to be posted");
    const comments = tc.github.comments(REPO, filed.number);
    const comment = comments.find((c) => c.body.includes(`triage:feedback=${posted.id}`));
    expect(comment?.body).toContain("hypothesis 1 of the report was right");
    expect(comment?.body).toContain("bumped the limit");
    expect(comment?.body).not.toContain(SECRETS.hfToken);
    expect(posted.comment.url).toMatch(new RegExp(`/issues/${filed.number}#issuecomment-\\d+$`));
  });
});

describe("feedback without GitHub", () => {
  it("is stored and says no comment was posted", async () => {
    await tc.restart({ GITHUB_TOKEN: "" });
    try {
      const a = await storedAnalysis("fp-nogithub");
      const before = tc.github.requests.length;
      const r = await give(a.id, { rank: 2, fix: "rolled back" });
      expect(r.status).toBe(201);
      expect(feedbackStateSchema.parse(r.body).feedback?.comment).toEqual({ status: "not_configured" });
      expect(tc.github.requests.length).toBe(before);
    } finally {
      await tc.restart({ GITHUB_TOKEN: "test-token" });
    }
  });
});
