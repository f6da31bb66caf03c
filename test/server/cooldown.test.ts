import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as webhook } from "@/app/api/webhooks/alertmanager/route";
import { WEBHOOK_TOKEN, oomLabels, startTestConsole, type TestConsole } from "@/test/helpers/console";

// Cooldown semantics: a repeat notification of the same firing episode is not re-analyzed within
// ANALYSIS_COOLDOWN_SECONDS; a new episode (a new startsAt) always is.
let tc: TestConsole;
beforeAll(async () => {
  tc = await startTestConsole({ ANALYSIS_COOLDOWN_SECONDS: "600", AUTO_FILE_SEVERITIES: "none" });
});
afterAll(async () => {
  await tc?.stop();
});

const FP = "c0011d0e5c0011d0";

function post(startsAt: string) {
  const body = JSON.stringify({
    version: "4",
    status: "firing",
    receiver: "triage",
    alerts: [{ status: "firing", labels: oomLabels(), annotations: {}, startsAt, endsAt: "0001-01-01T00:00:00Z", fingerprint: FP }],
  });
  return tc.callJson(webhook, { method: "POST", url: "/api/webhooks/alertmanager", body, headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` }, user: false });
}

async function count(): Promise<number> {
  const s = await tc.services();
  return (await s.store.listAnalyses({ fingerprint: FP, limit: 50 })).items.length;
}

describe("webhook cooldown", () => {
  it("skips repeat notifications of one episode and analyzes a new episode", async () => {
    expect((await post("2026-11-25T08:00:00Z")).status).toBe(202);
    expect(await count()).toBe(1);
    // Alertmanager's repeat_interval notification, an HA peer, or a redelivery: same episode.
    const repeat = await post("2026-11-25T08:00:00.000Z");
    expect(repeat.body).toMatchObject({ queued: 0, duplicates: 1 });
    expect(await count()).toBe(1);
    // The alert resolved and fired again: a new startsAt is a new episode, analyzed at once.
    const again = await post("2026-11-25T08:20:00Z");
    expect(again.body).toMatchObject({ queued: 1 });
    expect(await count()).toBe(2);
  });
});
