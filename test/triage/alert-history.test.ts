import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { POST as webhook } from "@/app/api/webhooks/alertmanager/route";
import { GET as resolvedRoute } from "@/app/api/alerts/resolved/route";
import { openStore } from "@/lib/store";
import { WEBHOOK_TOKEN, startTestConsole, type TestConsole } from "@/test/helpers/console";
import { manualClock, tempDb } from "@/test/store/helpers";

// Alert history through the real webhook route and a real SQLite: firing, resolved and re-firing
// notifications are kept as rows, an alert page gets them as episodes, a redelivery adds nothing.
let tc: TestConsole;
beforeAll(async () => {
  tc = await startTestConsole({ AUTO_ANALYZE: "false", AUTO_FILE_SEVERITIES: "none" });
});
afterAll(async () => {
  await tc?.stop();
});

const FP = "a1b2c3d4e5f60718";
const labels = { alertname: "KubePodCrashLooping", namespace: "shop", pod: "cart-0", severity: "warning" };

function notify(status: "firing" | "resolved", startsAt: string, endsAt?: string, fingerprint = FP) {
  const alert = { status, labels, annotations: {}, startsAt, endsAt: endsAt ?? "0001-01-01T00:00:00Z", fingerprint };
  const body = { version: "4", status, receiver: "console", groupKey: "{}:{}", alerts: [alert] };
  return tc.callJson(webhook, { method: "POST", url: "/api/webhooks/alertmanager", body, headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` }, user: false });
}

describe("alert history", () => {
  it("keeps firing → resolved → re-firing as three rows, shows two episodes, and a redelivery adds nothing", async () => {
    const s = await tc.services();
    await s.worker.stop();
    expect((await notify("firing", "2026-12-01T10:00:00Z")).status).toBeLessThan(300);
    expect((await notify("resolved", "2026-12-01T10:00:00Z", "2026-12-01T10:20:00Z")).status).toBeLessThan(300);
    expect((await notify("firing", "2026-12-01T11:00:00Z")).status).toBeLessThan(300);
    // Alertmanager resends every group_interval: the same notifications again.
    await notify("firing", "2026-12-01T10:00:00Z");
    await notify("resolved", "2026-12-01T10:00:00Z", "2026-12-01T10:20:00Z");
    await notify("firing", "2026-12-01T11:00:00Z");

    const rows = await s.store.alertHistory(FP);
    expect(rows.map((r) => [r.startsAt, r.status]).sort()).toEqual([
      ["2026-12-01T10:00:00.000Z", "firing"],
      ["2026-12-01T10:00:00.000Z", "resolved"],
      ["2026-12-01T11:00:00.000Z", "firing"],
    ]);

    const page = await s.triage.alertHistory(FP);
    expect(page.episodes.map((e) => ({ startsAt: e.startsAt, resolvedAt: e.resolvedAt }))).toEqual([
      { startsAt: "2026-12-01T11:00:00.000Z", resolvedAt: undefined },
      { startsAt: "2026-12-01T10:00:00.000Z", resolvedAt: "2026-12-01T10:20:00.000Z" },
    ]);
    expect(page.episodes[0]?.labels.pod).toBe("cart-0");
  });

  it("puts an episode's analyses and the alert's issue on its page", async () => {
    const s = await tc.services();
    const fp = "ffee00112233aabb";
    await notify("firing", "2026-12-02T08:00:00Z", undefined, fp);
    await notify("resolved", "2026-12-02T08:00:00Z", "2026-12-02T08:30:00Z", fp);
    await notify("firing", "2026-12-02T09:00:00Z", undefined, fp);
    const first = await s.store.createAnalysis({ fingerprint: fp, trigger: "webhook", status: "done", episode: "2026-12-02T08:00:00.000Z" });
    const second = await s.store.createAnalysis({ fingerprint: fp, trigger: "webhook", status: "done", episode: "2026-12-02T09:00:00.000Z" });
    await s.store.issueRegistry().saveIssue(fp, { number: 41, url: "https://github.com/acme/incidents/issues/41" });
    const page = await s.triage.alertHistory(fp);
    expect(page.episodes.map((e) => e.analyses.map((a) => a.id))).toEqual([[second.id], [first.id]]);
    expect(page.issue).toMatchObject({ number: 41 });
  });

  it("lists an alert whose latest episode resolved as recently resolved, and not once it fires again", async () => {
    const fp = "0011223344556677";
    await notify("firing", new Date(Date.now() - 3_600_000).toISOString(), undefined, fp);
    await notify("resolved", new Date(Date.now() - 3_600_000).toISOString(), new Date().toISOString(), fp);
    const get = () => tc.callJson(resolvedRoute, { url: "/api/alerts/resolved?hours=24" });
    const before = (await get()).body as { resolved: { fingerprint: string }[] };
    expect(before.resolved.map((r) => r.fingerprint)).toContain(fp);
    await notify("firing", new Date().toISOString(), undefined, fp);
    const after = (await get()).body as { resolved: { fingerprint: string }[] };
    expect(after.resolved.map((r) => r.fingerprint)).not.toContain(fp);
    const bad = await tc.callJson(resolvedRoute, { url: "/api/alerts/resolved?hours=lots" });
    expect(bad.status).toBe(422);
  });
});

describe("alert history retention", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("prunes rows past HISTORY_DAYS and beyond HISTORY_MAX_ROWS, newest kept", async () => {
    const t = tempDb();
    const clock = manualClock("2026-01-01T00:00:00.000Z");
    const store = await openStore(t.url, { now: clock.now });
    cleanups.push(t.cleanup, () => store.close());
    const row = (i: number) => ({ fingerprint: `fp-${i}`, startsAt: "2026-01-01T00:00:00Z", status: "firing" as const, labels: { alertname: "A" } });
    await store.recordAlertHistory([row(0), row(1)]);
    clock.advance(40 * 86_400_000);
    await store.recordAlertHistory([row(2), row(3), row(4), row(5)]);
    const base = { days: 0, maxAnalyses: 0, auditDays: 0 };

    const byAge = await store.prune({ ...base, historyDays: 30, historyMaxRows: 0 }, { batchSize: 1 });
    expect(byAge.history).toBe(2);
    expect(await store.alertHistory("fp-0")).toEqual([]);
    expect(await store.alertHistory("fp-2")).toHaveLength(1);

    const byCount = await store.prune({ ...base, historyDays: 30, historyMaxRows: 3 });
    expect(byCount.history).toBe(1);
    expect(await store.alertHistory("fp-2")).toEqual([]);
    for (const i of [3, 4, 5]) expect(await store.alertHistory(`fp-${i}`)).toHaveLength(1);
    expect((await store.prune({ ...base, historyDays: 30, historyMaxRows: 3 })).history).toBe(0);
  });
});
