import { afterEach, describe, expect, it } from "vitest";
import { main } from "@/cli/main";
import { openStore } from "@/lib/store";
import { postgresDatabase } from "@/test/helpers/postgres-database";
import { rawQuery, testDatabase, type TestDatabase } from "@/test/helpers/store";
import { sampleReport } from "@/test/store/helpers";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), stdin: async () => "" } };
}

/** A SQLite history as a console leaves it: analyses (one filed, one with two feedbacks), audit, alert history, rejected alerts, a revoked session, jobs. */
async function sqliteHistory(): Promise<TestDatabase> {
  const db = await testDatabase("sqlite", "history");
  cleanups.push(db.cleanup);
  const store = await openStore(db.url);
  try {
    for (let i = 0; i < 130; i++) {
      const a = await store.createAnalysis({ fingerprint: `fp${i % 40}`, trigger: "webhook", alertname: "ModelPodOOMKilled", target: { namespace: "ml", pod: `p${i}` } });
      await store.updateAnalysis(a.id, { status: "done", report: sampleReport(`cause ${i}`), markdown: `# report ${i}` });
      if (i === 7) {
        await store.updateAnalysis(a.id, { issueNumber: 12, issueUrl: "https://github.com/acme/incidents/issues/12", issueAction: "created" });
        await store.issueRegistry().saveIssue(`fp${i % 40}`, { number: 12, url: "https://github.com/acme/incidents/issues/12" });
      }
    }
    const [withFeedback] = (await store.listAnalyses({ limit: 1 })).items;
    if (withFeedback) {
      await store.addFeedback({ analysisId: withFeedback.id, actor: "alice", rank: 2, hypothesisTitle: "Second", fix: "raised the memory limit to 40Gi", commentStatus: "no_issue" });
      await store.addFeedback({ analysisId: withFeedback.id, actor: "bob", rank: null, actualCause: "a bad node", fix: "cordoned it", category: "node_pressure", commentStatus: "not_configured" });
    }
    for (let i = 0; i < 5; i++) await store.addAudit("alice", "analysis.started", `analysis:${i}`, { i });
    await store.recordAlertHistory([
      { fingerprint: "fp1", startsAt: "2026-12-01T00:00:00Z", status: "firing", labels: { alertname: "A" } },
      { fingerprint: "fp1", startsAt: "2026-12-01T00:00:00Z", status: "resolved", endsAt: "2026-12-01T00:10:00Z", labels: { alertname: "A" } },
      { fingerprint: "fp2", startsAt: "2026-12-02T00:00:00Z", status: "firing", labels: { alertname: "B" } },
    ]);
    await store.recordRejectedAlerts([{ fingerprint: "bad", labels: { alertname: "X" }, reason: "too big" }]);
    await store.revokeSession("sid-1", new Date(Date.now() + 3600_000));
    await store.enqueueJob({ kind: "analyze", dedupKey: "left-behind", payload: {} });
  } finally {
    await store.close();
  }
  return db;
}

describe("triage db copy", () => {
  it("moves a SQLite history into PostgreSQL with counts, and a second run adds nothing", async () => {
    const source = await sqliteHistory();
    const target = await postgresDatabase("copy");
    const first = io();
    expect(await main(["db", "copy", "--from", source.url, "--to", target], first.io)).toBe(0);
    expect(first.out.join("")).toBe(
      `Copied ${source.url} to ${target}: analyses 130 new of 130, feedback 2 new of 2, issues 1 new of 1, audit 5 new of 5, alert_history 3 new of 3, rejected_alerts 1 new of 1, revoked_sessions 1 new of 1.\n`,
    );
    expect(first.err.join("")).toContain("db copy: analyses: 130 read, 130 new\n");

    const copied = await openStore(target);
    cleanups.push(() => copied.close());
    const original = await openStore(source.url);
    cleanups.push(() => original.close());
    // Same rows, same answers: every analysis in full, the issue, audit, history, revocations.
    const all = async (s: typeof copied) => (await s.listAnalyses({ limit: 200 })).items;
    const [a, b] = [await all(original), await all(copied)];
    expect(b).toEqual(a);
    for (const item of a.slice(0, 10)) expect(await copied.getAnalysis(item.id)).toEqual(await original.getAnalysis(item.id));
    expect(await copied.issueFor("fp7")).toEqual({ number: 12, url: "https://github.com/acme/incidents/issues/12" });
    // The engineers' feedback: the history and its latest, so accuracy and "what fixed it" survive the move.
    const ids = a.map((x) => x.id);
    expect(await copied.feedbackFor(ids)).toEqual(await original.feedbackFor(ids));
    expect((await copied.feedbackFor(ids)).size).toBe(1);
    for (const id of ids.filter((x) => !!x)) expect(await copied.feedbackHistory(id)).toEqual(await original.feedbackHistory(id));
    expect(await copied.feedbackCases()).toEqual(await original.feedbackCases());
    expect(await copied.listAudit()).toEqual(await original.listAudit());
    expect(await copied.alertHistory("fp1")).toEqual(await original.alertHistory("fp1"));
    expect(await copied.listRejectedAlerts()).toEqual(await original.listRejectedAlerts());
    expect(await copied.isSessionRevoked("sid-1")).toBe(true);
    expect(await copied.jobCounts()).toEqual({ queued: 0, running: 0, done: 0, failed: 0 });
    // New history after the copy gets numbers of its own.
    expect(await copied.recordAlertHistory([{ fingerprint: "fp3", startsAt: "2026-12-03T00:00:00Z", status: "firing", labels: {} }])).toBe(1);

    const second = io();
    expect(await main(["db", "copy", "--from", source.url, "--to", target], second.io)).toBe(0);
    expect(second.out.join("")).toContain("analyses 0 new of 130, feedback 0 new of 2, issues 0 new of 1, audit 0 new of 5, alert_history 0 new of 3, rejected_alerts 0 new of 1, revoked_sessions 0 new of 1.");
    const [n] = await rawQuery<{ n: number }>({ dialect: "postgres", url: target, cleanup: () => undefined }, "select count(*)::int as n from analyses");
    expect(n?.n).toBe(130);
  });

  it("refuses a target a newer build migrated, leaving it as it was", async () => {
    const source = await sqliteHistory();
    const target = await postgresDatabase("newer");
    (await openStore(target)).close();
    const t: TestDatabase = { dialect: "postgres", url: target, cleanup: () => undefined };
    await rawQuery(t, `insert into kysely_migration (name, timestamp) values ('2027_03_099_newer', '2027-03-01T00:00:00.000Z')`);
    const r = io();
    expect(await main(["db", "copy", "--from", source.url, "--to", target], r.io)).toBe(1);
    expect(r.err.join("")).toMatch(/triage db: The database has migration this build does not know: 2027_03_099_newer/);
    const [n] = await rawQuery<{ n: number }>(t, "select count(*)::int as n from analyses");
    expect(n?.n).toBe(0);
  });

  it("says what is wrong with its arguments, and never prints the password", async () => {
    const u = io();
    expect(await main(["db", "move"], u.io)).toBe(2);
    expect(u.err.join("")).toMatch(/unknown db action "move"/);
    const missing = io();
    expect(await main(["db", "copy", "--from", "file:/nonexistent/triage.sqlite", "--to", "postgres://triage:s3cret@127.0.0.1:1/x"], missing.io)).toBe(2);
    expect(missing.err.join("")).toMatch(/There is no SQLite database at \/nonexistent\/triage.sqlite/);
    const bad = io();
    expect(await main(["db", "copy", "--from", "file:/tmp/x.sqlite", "--to", "mysql://triage:s3cret@db/x"], bad.io)).toBe(2);
    expect(bad.err.join("")).toContain("--to mysql://triage:***@db/x is not a database URL");
    expect(bad.err.join("") + missing.err.join("")).not.toContain("s3cret");
  });
});
