import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { POST as startAnalysis } from "@/app/api/analyses/route";
import { POST as giveFeedback } from "@/app/api/analyses/[id]/feedback/route";
import { sampleReport } from "@/test/store/helpers";
import { NS, startTestConsole, type TestConsole } from "@/test/helpers/console";

// Its own file: the route wrapper builds each limiter once per process from the configuration.
const LIMIT = 3;
const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), retryAfterSeconds: z.number().optional() }) });

let tc: TestConsole;
beforeAll(async () => {
  tc = await startTestConsole({ RATE_LIMIT_PER_MINUTE: String(LIMIT) });
  // Queue only: the limit is what is tested, not the analyses.
  await (await tc.services()).worker.stop();
});
afterAll(async () => {
  await tc?.stop();
});

describe("per-user rate limit on Analyze", () => {
  it("answers 429 with when to try again after RATE_LIMIT_PER_MINUTE requests, per user", async () => {
    const post = (user: string, i: number) =>
      tc.callJson(startAnalysis, { url: "/api/analyses", body: { target: { namespace: NS, pod: `pod-${user}-${i}` } }, user });
    for (let i = 0; i < LIMIT; i++) expect((await post("alice", i)).status).toBe(202);
    const limited = await post("alice", LIMIT);
    expect(limited.status).toBe(429);
    const err = errorSchema.parse(limited.body).error;
    expect(err.code).toBe("rate_limited");
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(err.retryAfterSeconds).toBeDefined();
    // Nothing was queued for the refused request; another user is not affected.
    const s = await tc.services();
    expect((await s.store.jobCounts()).queued).toBe(LIMIT);
    expect((await post("bob", 0)).status).toBe(202);
  });
});

describe("per-user rate limit on feedback", () => {
  it("answers 429 after RATE_LIMIT_PER_MINUTE feedbacks, apart from the Analyze budget", async () => {
    const s = await tc.services();
    const a = await s.store.createAnalysis({ fingerprint: "fp-feedback-limit", trigger: "manual" });
    await s.store.updateAnalysis(a.id, { status: "done", report: sampleReport("OOMKilled") });
    const post = () => tc.callJson(giveFeedback, { url: `/api/analyses/${a.id}/feedback`, params: { id: a.id }, body: { rank: 1, fix: "raised the limit" }, user: "alice" });
    for (let i = 0; i < LIMIT; i++) expect((await post()).status).toBe(201);
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(errorSchema.parse(limited.body).error.code).toBe("rate_limited");
    expect(await s.store.feedbackHistory(a.id)).toHaveLength(LIMIT);
  });
});
