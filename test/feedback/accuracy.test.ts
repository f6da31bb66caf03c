import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { accuracyText, computeAccuracy, parseSince, UNCATEGORISED } from "@/lib/feedback/accuracy";
import { openStore, type Store } from "@/lib/store";
import { accuracyReport } from "@/lib/triage/feedback";
import { isAppError } from "@/lib/errors";
import { manualClock, sampleReport, tempDb } from "@/test/store/helpers";

describe("accuracy from stored feedback (real SQLite)", () => {
  let db: ReturnType<typeof tempDb>;
  let store: Store;
  const clock = manualClock("2026-03-01T10:00:00.000Z");

  beforeEach(async () => {
    db = tempDb();
    store = await openStore(db.url, { now: clock.now });
  });
  afterEach(async () => {
    await store.close();
    db.cleanup();
  });

  /** A finished analysis whose hypotheses have these categories, and the feedback on it. */
  async function incident(source: "gemini" | "offline", categories: ("oom_killed" | "image_pull" | "gpu_oom" | undefined)[], feedback: { rank: number | null; category?: string }[]) {
    const a = await store.createAnalysis({ fingerprint: `fp-${Math.random()}`, trigger: "manual" });
    const base = sampleReport("h", { source });
    const report = { ...base, hypotheses: categories.map((category, i) => ({ title: `hypothesis ${i + 1}`, likelihood: "medium" as const, explanation: "", evidence: [], ...(category ? { category } : {}) })) };
    await store.updateAnalysis(a.id, { status: "done", report });
    for (const f of feedback) {
      const h = f.rank === null ? undefined : report.hypotheses[f.rank - 1];
      await store.addFeedback({ analysisId: a.id, actor: "eng", rank: f.rank, hypothesisTitle: h?.title, fix: "fixed", category: h ? h.category : f.category, commentStatus: "no_issue" });
    }
    return a;
  }

  it("counts top-1 and top-3 per category and per source over the latest feedback, 'none' as a miss", async () => {
    // An old case outside the 30-day window.
    await incident("gemini", ["oom_killed"], [{ rank: 1 }]);
    clock.advance(40 * 86_400_000);
    await incident("gemini", ["oom_killed", "gpu_oom"], [{ rank: 1 }]); // top-1, oom_killed
    await incident("gemini", ["image_pull", "oom_killed"], [{ rank: 2 }]); // top-3 only, category of #2: oom_killed
    await incident("offline", ["gpu_oom", "oom_killed", "image_pull"], [{ rank: 3 }]); // top-3 only, image_pull
    await incident("offline", ["oom_killed"], [{ rank: null, category: "gpu_oom" }]); // miss, the engineer's category
    await incident("offline", ["oom_killed"], [{ rank: null }]); // miss, uncategorised
    // Changed its mind: only the latest counts (first said #2, then #1).
    await incident("gemini", ["image_pull", "oom_killed"], [{ rank: 2 }, { rank: 1 }]); // top-1, image_pull
    await store.createAnalysis({ fingerprint: "no-feedback", trigger: "manual" });

    const r = await accuracyReport({ store }, "30d", clock.now().getTime());
    expect(r.period).toBe("the last 30d");
    const a = r.accuracy;
    expect(a.overall).toEqual({ key: "all", cases: 6, top1: 2, top3: 4, none: 2, top1Rate: 2 / 6, top3Rate: 4 / 6 });
    const byCategory = Object.fromEntries(a.byCategory.map((row) => [row.key, [row.cases, row.top1, row.top3, row.none]]));
    expect(byCategory).toEqual({ oom_killed: [2, 1, 2, 0], image_pull: [2, 1, 2, 0], gpu_oom: [1, 0, 0, 1], [UNCATEGORISED]: [1, 0, 0, 1] });
    const bySource = Object.fromEntries(a.bySource.map((row) => [row.key, [row.cases, row.top1, row.top3]]));
    expect(bySource).toEqual({ gemini: [3, 2, 3], offline: [3, 0, 1] });

    const all = await accuracyReport({ store }, "all", clock.now().getTime());
    expect(all.accuracy.overall.cases).toBe(7);
    expect(all.period).toBe("all time");
    expect(accuracyText(r.accuracy, r.period)).toMatch(/oom_killed\s+2\s+50% \(1\)\s+100% \(2\)\s+0\s+small sample/);
  });

  it("refuses a period it cannot read, saying which forms it takes", async () => {
    const e = await accuracyReport({ store }, "last tuesday").catch((x: unknown) => x);
    expect(isAppError(e) && e.code).toBe("unprocessable");
    expect(isAppError(e) && e.message).toMatch(/use 30d, 12h, 2w, all, or a date/);
  });
});

describe("computeAccuracy and parseSince", () => {
  it("has no rate without cases", () => {
    expect(computeAccuracy([]).overall).toMatchObject({ cases: 0, top1Rate: null, top3Rate: null });
  });
  it("reads periods", () => {
    const now = Date.parse("2026-03-31T00:00:00Z");
    expect(parseSince("30d", now)?.toISOString()).toBe("2026-03-01T00:00:00.000Z");
    expect(parseSince("12h", now)?.toISOString()).toBe("2026-03-30T12:00:00.000Z");
    expect(parseSince("2w", now)?.toISOString()).toBe("2026-03-17T00:00:00.000Z");
    expect(parseSince("all", now)).toBeUndefined();
    expect(parseSince("2026-01-31", now)?.toISOString()).toBe("2026-01-31T00:00:00.000Z");
    expect(() => parseSince("30 days", now)).toThrow(/not a period/);
  });
});
