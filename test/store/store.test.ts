import { afterEach, describe, expect, it } from "vitest";
import SqliteDatabase from "better-sqlite3";
import { existsSync } from "node:fs";
import { AppError } from "@/lib/errors";
import { openStore } from "@/lib/store";
import { migrationProvider } from "@/lib/store/migrations";
import { rawQuery, STORE_DIALECTS, testDatabase } from "@/test/helpers/store";
import { manualClock, sampleReport, tempDb } from "./helpers";

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const target = { cluster: "prod", namespace: "ml-serving", pod: "bert-7d9f-abc12", container: "server" };

// SQLite-only by nature: the file, its folder and WAL mode, and :memory:.
describe("openStore and migrations on SQLite", () => {
  it("creates the folder and every table on a fresh file, and re-opens idempotently with data kept", async () => {
    const db = tempDb();
    cleanups.push(db.cleanup);
    const s1 = await openStore(db.url);
    expect(existsSync(db.path)).toBe(true);
    const a = await s1.createAnalysis({ fingerprint: "fp1", trigger: "manual", target });
    await s1.close();

    const s2 = await openStore(db.url);
    cleanups.push(() => s2.close());
    expect((await s2.getAnalysis(a.id))?.fingerprint).toBe("fp1");

    const raw = new SqliteDatabase(db.path, { readonly: true });
    const tables = raw.prepare("select name from sqlite_master where type = 'table'").all().map((r) => (r as { name: string }).name);
    const applied = raw.prepare("select count(*) as n from kysely_migration").get() as { n: number };
    const mode = raw.pragma("journal_mode", { simple: true });
    raw.close();
    expect(tables).toEqual(expect.arrayContaining(["analyses", "jobs", "issues", "locks", "audit"]));
    expect(applied.n).toBe(Object.keys(await migrationProvider.getMigrations()).length);
    expect(mode).toBe("wal");
  });

  it("works in memory and answers ping", async () => {
    const s = await openStore(":memory:");
    cleanups.push(() => s.close());
    await expect(s.ping()).resolves.toBeUndefined();
  });

  it("rejects an unsupported URL with a hint", async () => {
    await expect(openStore("mysql://x/y")).rejects.toMatchObject({ code: "not_configured", hint: expect.stringContaining("postgres://") });
  });
});

describe.each(STORE_DIALECTS)("store on %s", (dialect) => {
async function fresh(clock = manualClock()) {
  const db = await testDatabase(dialect);
  const store = await openStore(db.url, { now: clock.now });
  cleanups.push(db.cleanup, () => store.close());
  return { store, clock, db };
}

describe("analyses", () => {
  it("creates, reads and updates an analysis; a report fills source, model, tokens and the top hypothesis", async () => {
    const { store } = await fresh();
    const created = await store.createAnalysis({
      fingerprint: "fp1",
      trigger: "webhook",
      startedBy: "webhook",
      target,
      episode: "2026-03-01T09:00:00Z",
      alert: { labels: { alertname: "ModelPodOOMKilled", severity: "critical" }, annotations: {} },
    });
    expect(created).toMatchObject({
      status: "queued",
      alertname: "ModelPodOOMKilled",
      severity: "critical",
      target,
      episode: "2026-03-01T09:00:00.000Z",
    });

    const report = sampleReport("Memory limit too low");
    const updated = await store.updateAnalysis(created.id, {
      status: "done",
      report,
      markdown: "# Report",
      timings: { pod: 12, gemini: 2300 },
      progress: { step: "done" },
      finishedAt: new Date("2026-03-01T10:00:06Z"),
    });
    expect(updated).toMatchObject({
      status: "done",
      source: "gemini",
      model: "gemini-3.8-flash",
      inputTokens: 1200,
      outputTokens: 340,
      durationMs: 2345,
      topHypothesis: { title: "Memory limit too low", likelihood: "high" },
      markdown: "# Report",
      timings: { pod: 12, gemini: 2300 },
      finishedAt: "2026-03-01T10:00:06.000Z",
    });
    expect((await store.getAnalysis(created.id))?.report).toEqual(report);

    const filed = await store.updateAnalysis(created.id, { issueNumber: 42, issueUrl: "https://github.com/a/b/issues/42", issueAction: "created", error: null });
    expect(filed).toMatchObject({ issueNumber: 42, issueAction: "created", status: "done" });
  });

  it("rejects invalid input and unknown ids with AppErrors", async () => {
    const { store } = await fresh();
    await expect(store.createAnalysis({ fingerprint: "", trigger: "manual" })).rejects.toMatchObject({ code: "unprocessable" });
    await expect(store.createAnalysis({ fingerprint: "x".repeat(300), trigger: "manual" })).rejects.toBeInstanceOf(AppError);
    await expect(store.updateAnalysis("nope", { status: "done" })).rejects.toMatchObject({ code: "not_found" });
    await expect(store.getAnalysis("nope")).resolves.toBeUndefined();
  });

  it("stores hostile text as data (no SQL built from values)", async () => {
    const { store } = await fresh();
    const evil = "x'); drop table analyses; --";
    const a = await store.createAnalysis({ fingerprint: evil, trigger: "manual", alertname: evil });
    expect((await store.listAnalyses({ alertname: evil })).items.map((i) => i.id)).toEqual([a.id]);
    expect((await store.getAnalysis(a.id))?.fingerprint).toBe(evil);
  });

  it("lists newest first with filters and a cursor that visits every row once", async () => {
    const { store, clock } = await fresh();
    const made: { id: string; fp: string; ns: string; name: string; at: string }[] = [];
    for (let i = 0; i < 25; i++) {
      const fp = `fp${i % 3}`;
      const ns = i % 2 === 0 ? "ml-serving" : "ml-batch";
      const name = i % 5 === 0 ? "ModelHighLatency" : "ModelPodCrashLooping";
      const a = await store.createAnalysis({ fingerprint: fp, trigger: "manual", alertname: name, target: { namespace: ns, pod: `p-${i}` } });
      made.push({ id: a.id, fp, ns, name, at: a.createdAt });
      if (i % 4 !== 0) clock.advance(60_000); // some share a timestamp, so the cursor must break ties by id
    }

    const byNs = await store.listAnalyses({ namespace: "ml-batch", limit: 100 });
    expect(new Set(byNs.items.map((i) => i.id))).toEqual(new Set(made.filter((m) => m.ns === "ml-batch").map((m) => m.id)));
    const byFp = await store.listAnalyses({ fingerprint: "fp1", limit: 100 });
    expect(byFp.items.every((i) => i.fingerprint === "fp1")).toBe(true);
    expect(byFp.items).toHaveLength(made.filter((m) => m.fp === "fp1").length);
    const byName = await store.listAnalyses({ alertname: "ModelHighLatency", limit: 100 });
    expect(byName.items).toHaveLength(5);

    const mid = made[10];
    const last = made[20];
    if (!mid || !last) throw new Error("fixture");
    const window = await store.listAnalyses({ since: mid.at, until: last.at, limit: 100 });
    const expected = made.filter((m) => m.at >= mid.at && m.at < last.at).map((m) => m.id);
    expect(new Set(window.items.map((i) => i.id))).toEqual(new Set(expected));

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.listAnalyses({ limit: 4, cursor });
      seen.push(...page.items.map((i) => i.id));
      const times = page.items.map((i) => i.createdAt);
      expect([...times].sort().reverse()).toEqual(times);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(7);
    expect(seen).toHaveLength(25);
    expect(new Set(seen)).toEqual(new Set(made.map((m) => m.id)));

    await expect(store.listAnalyses({ cursor: "garbage" })).rejects.toMatchObject({ code: "unprocessable" });
    await expect(store.listAnalyses({ since: "yesterday" })).rejects.toMatchObject({ code: "unprocessable" });
    await expect(store.listAnalyses({ limit: 10_000 })).rejects.toMatchObject({ code: "unprocessable" });
  });

  it("finds the latest analysis per fingerprint in bulk, the active one, and marks resolutions by episode", async () => {
    const { store, clock } = await fresh();
    const latest = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      for (const fp of ["a", "b", "c"]) {
        const a = await store.createAnalysis({ fingerprint: fp, trigger: "webhook", episode: `2026-03-01T0${round}:00:00Z` });
        latest.set(fp, a.id);
        clock.advance(1000);
      }
    }
    const many = Array.from({ length: 1200 }, (_, i) => `missing-${i}`);
    const got = await store.latestAnalysesFor(["a", "b", "c", "a", ...many]);
    expect(got.size).toBe(3);
    for (const fp of ["a", "b", "c"]) expect(got.get(fp)?.id).toBe(latest.get(fp));
    expect((await store.latestAnalysisByFingerprint("b"))?.id).toBe(latest.get("b"));

    const latestA = latest.get("a") ?? "";
    await store.enqueueJob({ kind: "analyze", dedupKey: `analyze:${latestA}`, analysisId: latestA, payload: {} });
    expect((await store.findActiveAnalysis("a"))?.id).toBe(latestA);
    await store.updateAnalysis(latestA, { status: "running" });
    expect((await store.findActiveAnalysis("a"))?.status).toBe("running");
    const all = (await store.listAnalyses({ fingerprint: "a" })).items;
    for (const a of all) await store.updateAnalysis(a.id, { status: "done" });
    expect(await store.findActiveAnalysis("a")).toBeUndefined();

    const resolved = await store.markResolved("a", "2026-03-01T01:30:00Z");
    expect(resolved).toHaveLength(2);
    expect(resolved.every((r) => r.resolvedAt === "2026-03-01T01:30:00.000Z")).toBe(true);
    expect((await store.getAnalysis(latestA))?.resolvedAt).toBeUndefined();
    expect(await store.markResolved("a", "2026-03-01T01:30:00Z")).toHaveLength(0);
  });
});

describe("jobs", () => {
  it("deduplicates by key: the same webhook twice is one job", async () => {
    const { store } = await fresh();
    const first = await store.enqueueJob({ kind: "analyze", dedupKey: "analyze:fp1:2026-03-01T09:00:00Z", payload: { fingerprint: "fp1" } });
    const second = await store.enqueueJob({ kind: "analyze", dedupKey: "analyze:fp1:2026-03-01T09:00:00Z", payload: { fingerprint: "other" } });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.job.id).toBe(first.job.id);
    expect(second.job.payload).toEqual({ fingerprint: "fp1" });
    expect(await store.jobCounts()).toEqual({ queued: 1, running: 0, done: 0, failed: 0 });
    await expect(store.enqueueJob({ kind: "analyze", dedupKey: "", payload: {} })).rejects.toMatchObject({ code: "unprocessable" });
    await expect(store.enqueueJob({ kind: "analyze", dedupKey: "big", payload: "x".repeat(2 * 1024 * 1024) })).rejects.toMatchObject({ code: "unprocessable" });
  });

  it("claims oldest runnable first, skips future and other kinds, and claims each job once", async () => {
    const { store, clock } = await fresh();
    const a = await store.enqueueJob({ kind: "analyze", dedupKey: "a", payload: 1 });
    clock.advance(10);
    await store.enqueueJob({ kind: "analyze", dedupKey: "later", payload: 2, runAfter: new Date(clock.now().getTime() + 60_000) });
    const r = await store.enqueueJob({ kind: "resolve", dedupKey: "r", payload: 3 });
    clock.advance(10);

    expect((await store.claimNextJob("w1", ["file_issue"]))?.id).toBeUndefined();
    const first = await store.claimNextJob("w1");
    expect(first).toMatchObject({ id: a.job.id, status: "running", lockedBy: "w1", attempts: 1 });
    expect((await store.claimNextJob("w2"))?.id).toBe(r.job.id);
    expect(await store.claimNextJob("w2")).toBeUndefined();
    clock.advance(61_000);
    expect((await store.claimNextJob("w2"))?.dedupKey).toBe("later");
  });

  it("enqueueAnalyses writes each job with its analysis, skips redeliveries, and writes nothing when a row fails", async () => {
    const { store, db } = await fresh();
    const item = (n: number) => {
      const id = `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
      return {
        job: { kind: "analyze" as const, dedupKey: `webhook:fp${n}`, analysisId: id, payload: { analysisId: id } },
        analysis: { id, fingerprint: `fp${n}`, trigger: "webhook" as const, target },
      };
    };
    const first = await store.enqueueAnalyses(Array.from({ length: 300 }, (_, n) => item(n)));
    expect(first.size).toBe(300);
    // A redelivery of 10 of them plus 5 new: only the new ones are written.
    const again = await store.enqueueAnalyses(Array.from({ length: 15 }, (_, n) => item(n + 290)));
    expect([...again].sort()).toEqual(["webhook:fp300", "webhook:fp301", "webhook:fp302", "webhook:fp303", "webhook:fp304"]);

    // The database refuses one analysis of the batch (a full disk, a constraint): the jobs already
    // inserted in the same call must not stay behind without their analyses.
    if (dialect === "sqlite") {
      await rawQuery(db, "CREATE TRIGGER refuse BEFORE INSERT ON analyses WHEN NEW.fingerprint = 'fp999' BEGIN SELECT RAISE(ABORT, 'refused'); END");
    } else {
      await rawQuery(db, "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$");
      await rawQuery(db, "CREATE TRIGGER refuse BEFORE INSERT ON analyses FOR EACH ROW WHEN (NEW.fingerprint = 'fp999') EXECUTE FUNCTION refuse()");
    }
    await expect(store.enqueueAnalyses([item(500), item(501), item(999)])).rejects.toThrow();
    expect(await store.jobCounts()).toEqual({ queued: 305, running: 0, done: 0, failed: 0 });
    expect((await store.latestAnalysesFor(["fp500", "fp501", "fp0"])).size).toBe(1);
  });

  it("with several kinds, takes the oldest runnable job across them, behind a backlog of another kind", async () => {
    const { store, clock } = await fresh();
    for (let i = 0; i < 50; i++) await store.enqueueJob({ kind: "analyze", dedupKey: `backlog-${i}`, payload: i });
    clock.advance(10);
    const fileLater = await store.enqueueJob({ kind: "file_issue", dedupKey: "f-later", payload: 1, runAfter: new Date(clock.now().getTime() + 30_000) });
    const resolve = await store.enqueueJob({ kind: "resolve", dedupKey: "r", payload: 2 });
    clock.advance(10);
    const file = await store.enqueueJob({ kind: "file_issue", dedupKey: "f", payload: 3 });
    clock.advance(10);

    const ops = ["file_issue", "resolve", "file_issue"] as const;
    expect((await store.claimNextJob("ops", ops))?.id).toBe(resolve.job.id);
    expect((await store.claimNextJob("ops", ops))?.id).toBe(file.job.id);
    expect(await store.claimNextJob("ops", ops)).toBeUndefined();
    clock.advance(30_000);
    expect((await store.claimNextJob("ops", ops))?.id).toBe(fileLater.job.id);
    expect(await store.jobCounts()).toEqual({ queued: 50, running: 3, done: 0, failed: 0 });
  });

  it("hands out 300 jobs to 12 concurrent claimers on two connections exactly once", async () => {
    const { store, db, clock } = await fresh();
    const other = await openStore(db.url, { now: clock.now });
    cleanups.push(() => other.close());
    for (let i = 0; i < 300; i++) await store.enqueueJob({ kind: "analyze", dedupKey: `k${i}`, payload: { i } });
    const claimed: string[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async (_, w) => {
        const s = w % 2 === 0 ? store : other;
        for (;;) {
          const job = await s.claimNextJob(`w${w}`);
          if (!job) return;
          claimed.push(job.id);
          await new Promise((r) => setImmediate(r));
        }
      }),
    );
    expect(claimed).toHaveLength(300);
    expect(new Set(claimed).size).toBe(300);
    expect(await store.jobCounts()).toEqual({ queued: 0, running: 300, done: 0, failed: 0 });
  });

  it("retries a failing job with backoff until max attempts, then fails; retryJob requeues it", async () => {
    const { store, clock } = await fresh();
    const { job } = await store.enqueueJob({ kind: "analyze", dedupKey: "flaky", payload: {}, maxAttempts: 2 });
    const c1 = await store.claimNextJob("w");
    expect(c1?.attempts).toBe(1);
    const f1 = await store.failJob(job.id, "Gemini 503");
    expect(f1).toMatchObject({ status: "queued", lastError: "Gemini 503", attempts: 1 });
    expect(f1.lockedBy).toBeUndefined();
    expect(Date.parse(f1.runAfter)).toBeGreaterThan(clock.now().getTime());
    expect(await store.claimNextJob("w")).toBeUndefined();
    clock.advance(MAX_BACKOFF);
    expect((await store.claimNextJob("w"))?.attempts).toBe(2);
    const f2 = await store.failJob(job.id, "Gemini 503 again", { retryInMs: 0 });
    expect(f2).toMatchObject({ status: "failed", attempts: 2, lastError: "Gemini 503 again" });
    expect(await store.claimNextJob("w")).toBeUndefined();

    expect((await store.listJobs({ status: "failed", limit: 10 })).map((j) => j.id)).toEqual([job.id]);
    await expect(store.retryJob("missing")).rejects.toMatchObject({ code: "not_found" });
    const again = await store.retryJob(job.id);
    expect(again).toMatchObject({ status: "queued", attempts: 0 });
    await expect(store.retryJob(job.id)).rejects.toMatchObject({ code: "conflict" });

    await store.claimNextJob("w");
    expect((await store.failJob(job.id, "bad payload", { permanent: true })).status).toBe("failed");
  });

  it("requeues only jobs whose lease expired, failing those on their last attempt with the owner named, and completes only its own claims", async () => {
    const { store, clock } = await fresh();
    for (const [dedupKey, maxAttempts] of [["one", 3], ["last", 1], ["mine", 3]] as const) {
      await store.enqueueJob({ kind: "analyze", dedupKey, payload: {}, maxAttempts });
      clock.advance(1); // claim order follows creation time
    }
    const j1 = await store.claimNextJob("host-a:41:dead", undefined, { leaseMs: 1000 });
    const j2 = await store.claimNextJob("host-a:41:dead", undefined, { leaseMs: 1000 });
    const j3 = await store.claimNextJob("host-b:7:alive", undefined, { leaseMs: 1000 });
    if (!j1 || !j2 || !j3) throw new Error("expected three claims");
    expect(j3).toMatchObject({ lockedBy: "host-b:7:alive", leaseExpiresAt: new Date(clock.now().getTime() + 1000).toISOString() });
    // Nobody's lease has expired yet: a process starting now must leave all three alone.
    expect(await store.requeueExpired()).toEqual({ requeued: 0, failed: 0 });
    expect(await store.jobCounts()).toMatchObject({ running: 3, queued: 0 });

    clock.advance(600);
    expect(await store.renewLeases("host-b:7:alive", [j3.id, j1.id], 1000)).toEqual(new Set([j3.id]));
    clock.advance(600);
    expect(await store.requeueExpired()).toEqual({ requeued: 1, failed: 1 });
    const after = new Map((await store.listJobs({ limit: 10 })).map((j) => [j.dedupKey, j]));
    expect(after.get("one")).toMatchObject({ status: "queued", attempts: 1 });
    expect(after.get("one")?.lockedBy).toBeUndefined();
    expect(after.get("last")?.status).toBe("failed");
    expect(after.get("last")?.lastError).toMatch(/Interrupted on its last attempt: its worker host-a:41:dead stopped renewing its lease \(expired /);
    expect(after.get("mine")).toMatchObject({ status: "running", lockedBy: "host-b:7:alive" });
    // A dead worker's renewal finds nothing: its job is gone.
    expect(await store.renewLeases("host-a:41:dead", [j1.id], 1000)).toEqual(new Set());

    expect(await store.completeJob(j3.id, "someone-else")).toBe(false);
    expect(await store.completeJob(j3.id, "host-b:7:alive")).toBe(true);
    expect(await store.completeJob(j3.id, "host-b:7:alive")).toBe(false);
    expect(await store.jobCounts()).toEqual({ queued: 1, running: 0, done: 1, failed: 1 });
  });

  it("releaseJobs hands back every job of one worker at once, attempts uncounted", async () => {
    const { store } = await fresh();
    for (const k of ["a", "b", "c"]) await store.enqueueJob({ kind: "resolve", dedupKey: k, payload: {} });
    await store.claimNextJob("w1");
    await store.claimNextJob("w1");
    await store.claimNextJob("w2");
    expect(await store.releaseJobs("w1")).toBe(2);
    const jobs = await store.listJobs({ limit: 10 });
    expect(jobs.filter((j) => j.status === "queued").map((j) => j.attempts)).toEqual([0, 0]);
    expect(jobs.filter((j) => j.status === "running").map((j) => j.lockedBy)).toEqual(["w2"]);
  });
});

describe("issues and audit", () => {
  it("saves and updates the issue of a fingerprint", async () => {
    const { store } = await fresh();
    const reg = store.issueRegistry();
    expect(await reg.getIssue("fp")).toBeUndefined();
    await reg.saveIssue("fp", { number: 7, url: "https://github.com/a/b/issues/7" });
    await reg.saveIssue("fp", { number: 8, url: "https://github.com/a/b/issues/8" });
    expect(await reg.getIssue("fp")).toEqual({ number: 8, url: "https://github.com/a/b/issues/8" });
  });

  it("appends audit entries and lists them by target, newest first", async () => {
    const { store, clock } = await fresh();
    await store.addAudit("alice@example.com", "analysis.started", "analysis:1", { trigger: "manual" });
    clock.advance(1000);
    await store.addAudit("webhook", "issue.filed", "analysis:1", { number: 7 });
    await store.addAudit("bob", "analysis.started", "analysis:2");
    const entries = await store.listAudit({ target: "analysis:1" });
    expect(entries.map((e) => e.action)).toEqual(["issue.filed", "analysis.started"]);
    expect(entries[1]?.details).toEqual({ trigger: "manual" });
  });
});

});

const MAX_BACKOFF = 5 * 60_000 + 1;
