import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "@/lib/store";
import { STORE_DIALECTS, testDatabase } from "@/test/helpers/store";
import { manualClock } from "./helpers";

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe.each(STORE_DIALECTS)("on %s", (dialect) => {
async function fresh() {
  const db = await testDatabase(dialect);
  const clock = manualClock();
  const store = await openStore(db.url, { now: clock.now });
  cleanups.push(db.cleanup, () => store.close());
  return { store, clock };
}

const rejection = (n: number) => ({ receiver: "triage", fingerprint: `fp${n}`, labels: { alertname: "ModelPodOOMKilled", pod: `p-${n}` }, reason: `alerts.${n}.annotations.description: Too big` });

describe("rejected webhook alerts", () => {
  it("keeps only the newest N, newest first, across notifications", async () => {
    const { store, clock } = await fresh();
    await store.recordRejectedAlerts(
      Array.from({ length: 8 }, (_, i) => rejection(i)),
      10,
    );
    clock.advance(1000);
    await store.recordRejectedAlerts(
      Array.from({ length: 5 }, (_, i) => rejection(100 + i)),
      10,
    );
    const page = await store.listRejectedAlerts(100);
    expect(page.total).toBe(10);
    expect(page.items.map((r) => r.fingerprint)).toEqual(["fp104", "fp103", "fp102", "fp101", "fp100", "fp7", "fp6", "fp5", "fp4", "fp3"]);
    expect(page.items[0]).toMatchObject({ receiver: "triage", labels: { pod: "p-104" }, receivedAt: "2026-03-01T10:00:01.000Z" });
    // One notification with more rejections than the bound keeps its last ones.
    await store.recordRejectedAlerts(
      Array.from({ length: 25 }, (_, i) => rejection(200 + i)),
      10,
    );
    const after = await store.listRejectedAlerts(3);
    expect(after.total).toBe(10);
    expect(after.items.map((r) => r.fingerprint)).toEqual(["fp224", "fp223", "fp222"]);
  });

  it("refuses an unbounded row instead of storing it", async () => {
    const { store } = await fresh();
    await expect(store.recordRejectedAlerts([{ labels: {}, reason: "x".repeat(5000) }])).rejects.toMatchObject({ code: "unprocessable" });
    expect((await store.listRejectedAlerts()).total).toBe(0);
  });

  it("writes a slice of jobs in one call, skipping existing dedup keys", async () => {
    const { store } = await fresh();
    const job = (k: string) => ({ kind: "resolve" as const, dedupKey: k, payload: { fingerprint: k, endsAt: "2026-03-01T10:00:00Z" } });
    expect([...(await store.enqueueJobs([job("a"), job("b")]))].sort()).toEqual(["a", "b"]);
    expect([...(await store.enqueueJobs([job("b"), job("c")]))]).toEqual(["c"]);
    expect((await store.jobCounts()).queued).toBe(3);
  });
});
});
