import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueuePeriodic } from "@/lib/jobs/schedule";
import { startTestConsole, type TestConsole } from "@/test/helpers/console";

let tc: TestConsole;
beforeAll(async () => {
  tc = await startTestConsole({ RETENTION_DAYS: "30", RETENTION_MAX_ANALYSES: "0" });
});
afterAll(async () => {
  await tc?.stop();
});

describe("the scheduled prune", () => {
  it("runs as a job in the console's worker with RETENTION_* and keeps what an open issue links to", async () => {
    const s = await tc.services();
    const old = await s.store.createAnalysis({ fingerprint: "old-unfiled", trigger: "webhook", status: "done" });
    const filed = await s.store.createAnalysis({ fingerprint: "old-filed", trigger: "webhook", status: "done" });
    await s.store.updateAnalysis(filed.id, { issueNumber: 3, issueUrl: "https://github.com/acme/incidents/issues/3", issueAction: "created" });
    await s.store.issueRegistry().saveIssue("old-filed", { number: 3, url: "https://github.com/acme/incidents/issues/3" });
    const recent = await s.store.createAnalysis({ fingerprint: "recent", trigger: "webhook", status: "done" });
    const longAgo = new Date(Date.now() - 31 * 86_400_000).toISOString();
    await s.store.db.updateTable("analyses").set({ created_at: longAgo }).where("id", "in", [old.id, filed.id]).execute();

    expect(await enqueuePeriodic({ store: s.store, worker: s.worker, kind: "prune", intervalMs: 3600_000 })).toBe(true);
    await s.worker.drain({ timeoutMs: 30_000 });
    const [job] = await s.store.listJobs({ kind: "prune" });
    expect(job?.status).toBe("done");
    expect(await s.store.getAnalysis(old.id)).toBeUndefined();
    expect(await s.store.getAnalysis(filed.id)).toBeDefined();
    expect(await s.store.getAnalysis(recent.id)).toBeDefined();
  });
});
