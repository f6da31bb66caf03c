import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createIssueFiler } from "@/lib/github/filer";
import { createJobQueue } from "@/lib/jobs/queue";
import { openStore, type Store } from "@/lib/store";
import { feedbackWanted, giveFeedback, postFeedbackComment, type FeedbackDeps } from "@/lib/triage/feedback";
import { alertHistoryState } from "@/lib/triage/page-data";
import { startFakeGitHub, type FakeGitHub } from "@/test/fakes/github-server";
import { sampleReport, tempDb } from "@/test/store/helpers";

const REPO = "acme/incidents";
const quiet = { info: () => undefined, warn: () => undefined };
let gh: FakeGitHub;
let db: ReturnType<typeof tempDb>;
let store: Store;

beforeAll(async () => {
  gh = await startFakeGitHub({ repos: [REPO] });
});
afterAll(async () => {
  await gh?.close();
});
beforeEach(async () => {
  db = tempDb();
  store = await openStore(db.url);
});
afterEach(async () => {
  await store.close();
  db.cleanup();
});

function realFiler() {
  return createIssueFiler({ token: "test-token", repository: REPO, apiUrl: gh.url }, { registry: store.issueRegistry(), log: quiet, sleep: async () => undefined, retry: { attempts: 1 } });
}

function deps(): FeedbackDeps {
  const filer = realFiler();
  return { store, queue: createJobQueue(store, () => undefined), filer, config: { consoleUrl: "http://console.test" }, log: quiet };
}

async function filedAnalysis(fingerprint: string) {
  const a = await store.createAnalysis({ fingerprint, trigger: "webhook", episode: "2026-03-01T10:00:00Z" });
  const created = await realFiler().fileIncident({ title: `incident ${fingerprint}`, body: "body", labels: ["production-alert"] }, fingerprint);
  return store.updateAnalysis(a.id, { status: "done", report: sampleReport("OOMKilled"), issueNumber: created.number, issueUrl: created.url, issueAction: "created" });
}

describe("the feedback_comment job", () => {
  it("records a failed comment on its last attempt, so the page stops saying 'being posted'", async () => {
    const a = await filedAnalysis("fp-fail");
    const d = deps();
    const state = await giveFeedback(d, a.id, { rank: 1, fix: "raised the limit" }, "alice");
    const id = state.feedback?.id ?? "";
    expect(state.feedback?.comment.status).toBe("pending");
    const [job] = await store.listJobs({ kind: "feedback_comment" });
    expect(job?.payload).toEqual({ feedbackId: id });

    gh.failNext({ kind: "status", status: 500 }, { method: "POST", path: /\/comments$/, times: 2 });
    await expect(postFeedbackComment(d, { feedbackId: id }, { attempts: 1, maxAttempts: 5 })).rejects.toThrow();
    expect((await store.getFeedback(id))?.comment.status).toBe("pending");
    await expect(postFeedbackComment(d, { feedbackId: id }, { attempts: 5, maxAttempts: 5 })).rejects.toThrow();
    expect((await store.getFeedback(id))?.comment.status).toBe("failed");

    // A retry by hand (the queue panel) posts it after all, once.
    await postFeedbackComment(d, { feedbackId: id }, { attempts: 1, maxAttempts: 5 });
    await postFeedbackComment(d, { feedbackId: id }, { attempts: 1, maxAttempts: 5 });
    const posted = await store.getFeedback(id);
    expect(posted?.comment.status).toBe("posted");
    expect(gh.comments(REPO, a.issueNumber).filter((c) => c.body.includes(`triage:feedback=${id}`))).toHaveLength(1);
  });
});

describe("feedbackWanted: the alert page asks once the latest episode has resolved", () => {
  it("asks for a resolved alert whose latest analysis has no feedback, and only then", async () => {
    const a = await store.createAnalysis({ fingerprint: "fp-ask", trigger: "webhook", episode: "2026-03-01T10:00:00Z" });
    await store.updateAnalysis(a.id, { status: "done", report: sampleReport("OOMKilled") });
    const labels = { alertname: "ModelPodOOMKilled" };
    await store.recordAlertHistory([{ fingerprint: "fp-ask", startsAt: "2026-03-01T10:00:00Z", status: "firing", labels }]);
    const wanted = async () => feedbackWanted({ store }, await alertHistoryState({ store }, "fp-ask"), a.id);
    expect(await wanted()).toBe(false);
    await store.recordAlertHistory([{ fingerprint: "fp-ask", startsAt: "2026-03-01T10:00:00Z", status: "resolved", endsAt: "2026-03-01T11:00:00Z", labels }]);
    expect(await wanted()).toBe(true);
    await store.addFeedback({ analysisId: a.id, actor: "alice", rank: 1, fix: "x", commentStatus: "no_issue" });
    expect(await wanted()).toBe(false);
    // It fired again: the new episode is not resolved, so nothing is asked.
    await store.recordAlertHistory([{ fingerprint: "fp-ask", startsAt: "2026-03-02T10:00:00Z", status: "firing", labels }]);
    const b = await store.createAnalysis({ fingerprint: "fp-ask", trigger: "webhook", episode: "2026-03-02T10:00:00Z" });
    expect(await feedbackWanted({ store }, await alertHistoryState({ store }, "fp-ask"), b.id)).toBe(false);
  });
});
