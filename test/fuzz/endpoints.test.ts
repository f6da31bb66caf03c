import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { POST as webhook } from "@/app/api/webhooks/alertmanager/route";
import { POST as startAnalysis } from "@/app/api/analyses/route";
import type { Services } from "@/lib/server/services";
import { WEBHOOK_TOKEN, startTestConsole, type TestConsole } from "@/test/helpers/console";
import { analysisBody, anyJson, webhookPayload } from "./arbitraries";

/**
 * Property-based fuzzing of the two endpoints that take untrusted JSON: whatever arrives, the answer is
 * a JSON 2xx/4xx (never a 5xx, never a throw), errors carry a code, and the store is never left with
 * half-written rows.
 */

const SEED = 20261120;
const errorBodySchema = z.object({ error: z.object({ code: z.string().min(1), message: z.string().min(1) }) });

let tc: TestConsole;
let services: Services;
const statuses = { webhook: new Map<number, number>(), analyses: new Map<number, number>() };

beforeAll(async () => {
  tc = await startTestConsole();
  services = await tc.services();
  // Jobs wait in the queue: the store then holds exactly what the requests wrote.
  await services.worker.stop();
});
afterAll(async () => {
  await tc?.stop();
});

/** The answer is JSON; a 4xx names an error code; never a 5xx. */
async function checkAnswer(res: Response, tally: Map<number, number>): Promise<void> {
  tally.set(res.status, (tally.get(res.status) ?? 0) + 1);
  const raw = await res.text();
  expect(res.status, raw.slice(0, 300)).toBeLessThan(500);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body: unknown = JSON.parse(raw);
  if (res.status >= 400) expect(errorBodySchema.safeParse(body).success, raw.slice(0, 300)).toBe(true);
}

describe("fuzzing POST /api/webhooks/alertmanager", () => {
  it("answers every malformed body with a JSON 4xx", async () => {
    await fc.assert(
      fc.asyncProperty(anyJson, async (body) => {
        const res = await tc.call(webhook, { method: "POST", url: "/api/webhooks/alertmanager", body, headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` }, user: false });
        await checkAnswer(res, statuses.webhook);
      }),
      { numRuns: 250, seed: SEED },
    );
  });

  it("answers near-valid payloads with wrong types, odd times, huge and unicode values without a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(webhookPayload, async (body) => {
        const res = await tc.call(webhook, { method: "POST", url: "/api/webhooks/alertmanager", body, headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` }, user: false });
        await checkAnswer(res, statuses.webhook);
      }),
      { numRuns: 300, seed: SEED + 1 },
    );
    // The generator must reach the accepting path, or this test proves nothing about it.
    expect(statuses.webhook.get(202) ?? 0).toBeGreaterThan(20);
  });
});

describe("fuzzing POST /api/analyses", () => {
  it("answers malformed and near-valid bodies with a JSON 202 or 4xx", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyJson, analysisBody, analysisBody), async (body) => {
        // A different user each time: the per-user rate limit is not what is fuzzed here.
        const res = await tc.call(startAnalysis, { method: "POST", url: "/api/analyses", body, user: `fuzz-${n++}` });
        await checkAnswer(res, statuses.analyses);
      }),
      { numRuns: 300, seed: SEED + 2 },
    );
    expect(statuses.analyses.get(202) ?? 0, JSON.stringify([...statuses.analyses])).toBeGreaterThan(10);
  });
});

describe("after the storm", () => {
  it("left no half-written rows: every analysis has its job, every job's analysis exists", async () => {
    const { store } = services;
    const jobs = await store.listJobs({ limit: 1000 });
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.length).toBeLessThan(1000);
    const withAnalysis = new Set(jobs.map((j) => j.analysisId).filter((id): id is string => !!id));
    for (const j of jobs) {
      if (j.kind === "resolve" || j.kind === "prune") continue;
      expect(j.analysisId, `job ${j.id} (${j.kind}) names no analysis`).toBeTruthy();
      expect(await store.getAnalysis(j.analysisId ?? ""), `job ${j.id} points at a missing analysis`).toBeDefined();
    }
    const analyses = await store.listAnalyses({ limit: 500 });
    expect(analyses.nextCursor).toBeUndefined();
    for (const a of analyses.items) {
      const final = a.status === "done" || a.status === "failed";
      expect(final || withAnalysis.has(a.id), `analysis ${a.id} is ${a.status} with no job`).toBe(true);
    }
  });

  it("and the queue they left drains with every analysis finished", async () => {
    const again = await tc.restart();
    await again.worker.drain({ timeoutMs: 300_000 });
    const analyses = await again.store.listAnalyses({ limit: 500 });
    const unfinished = analyses.items.filter((a) => a.status !== "done" && a.status !== "failed");
    expect(unfinished).toEqual([]);
    const failedJobs = await again.store.listJobs({ status: "failed", limit: 100 });
    expect(failedJobs.map((j) => `${j.kind}: ${j.lastError ?? ""}`)).toEqual([]);
  }, 320_000);
});
