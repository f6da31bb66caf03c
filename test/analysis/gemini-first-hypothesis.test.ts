import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Config } from "@/lib/config";
import { createGeminiDiagnoser, watchFirstHypothesis, type GeminiProgress, type StreamedHypothesis } from "@/lib/analysis/gemini";
import { buildPrompt } from "@/lib/analysis/prompt";
import { redactBundle } from "@/lib/analysis/redact";
import { startFakeGemini, type FakeGemini } from "@/test/fakes/gemini-server";
import { oomBundle } from "@/test/analysis/gemini-fixture";

let fake: FakeGemini;
beforeAll(async () => {
  fake = await startFakeGemini({ apiKey: "test-key" });
});
afterAll(async () => {
  await fake.close();
});

function cfg(): Config["gemini"] {
  return { apiKey: "test-key", model: "gemini-3.8-flash", baseUrl: fake.url, timeoutMs: 20_000, concurrency: 1, logBudgetTokens: 8000 };
}

describe("the first hypothesis, while Gemini is still streaming", () => {
  test("arrives as a progress event before the stream ends, and matches the final report's first hypothesis", async () => {
    // A slow model: 24 chunks, 40 ms apart.
    fake.enqueue({ kind: "report", chunks: 24, chunkDelayMs: 40 });
    const { bundle } = redactBundle(oomBundle());
    const events: GeminiProgress[] = [];
    const r = await createGeminiDiagnoser(cfg()).diagnose(buildPrompt({ bundle, signals: [] }), { onProgress: (p) => events.push(p) });

    const at = events.findIndex((p) => p.phase === "hypothesis");
    expect(at, "a hypothesis progress event").toBeGreaterThanOrEqual(0);
    expect(events.filter((p) => p.phase === "hypothesis")).toHaveLength(1);
    const streamed = events.slice(0, at).filter((p) => p.phase === "streaming");
    const charsBefore = streamed.at(-1)?.chars ?? 0;
    const total = events.filter((p) => p.phase === "streaming").at(-1)?.chars ?? 0;
    // More of the answer came after the hypothesis: it was not held back until the end.
    expect(charsBefore).toBeGreaterThan(0);
    expect(charsBefore).toBeLessThan(total);
    expect(events.slice(at + 1).some((p) => p.phase === "streaming")).toBe(true);
    expect(events[at]?.hypothesis?.title).toBe(r.report.hypotheses[0]?.title);
    expect(events[at]?.hypothesis?.likelihood).toBe(r.report.hypotheses[0]?.likelihood);
  });
});

describe("watchFirstHypothesis", () => {
  const feed = (chunks: string[]) => {
    const got: StreamedHypothesis[] = [];
    const w = watchFirstHypothesis((h) => got.push(h));
    const after: number[] = [];
    chunks.forEach((c, i) => {
      w(c);
      if (got.length && !after.length) after.push(i);
    });
    return { got, at: after[0] };
  };

  test("reports the first complete hypothesis once, as soon as its object closes, across any split", () => {
    const doc = JSON.stringify({ summary: "s", hypotheses: [{ title: "OOM", likelihood: "high", explanation: "e", evidence: [] }, { title: "two", likelihood: "low", evidence: [] }], impact: "i" });
    const close = doc.indexOf("}") + 1;
    const pieces = [doc.slice(0, close - 1), doc.slice(close - 1, close), doc.slice(close)];
    const { got, at } = feed(pieces);
    expect(got).toEqual([{ title: "OOM", likelihood: "high", explanation: "e" }]);
    expect(at).toBe(1);
  });

  test("a fence before the JSON is skipped; invalid JSON or an invalid hypothesis reports nothing", () => {
    expect(feed(['```json\n{"hypotheses":[{"title":"a","likelihood":"medium","evidence":[]}]}']).got).toHaveLength(1);
    expect(feed(['{"hypotheses":[{"title": nope']).got).toEqual([]);
    expect(feed(['{"hypotheses":[{"likelihood":"high"},{"title":"b","likelihood":"high"}]}']).got).toEqual([]);
  });
});
