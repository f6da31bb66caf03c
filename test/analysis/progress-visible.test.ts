import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, test } from "vitest";
import { runAnalysis, type ProgressEvent } from "@/lib/analysis/pipeline";
import { progressMapSchema } from "@/lib/analysis/api";
import { FinishedSteps, ProgressSteps } from "@/components/analysis/progress-steps";
import { oomBundle } from "@/test/analysis/gemini-fixture";

describe("progress that can be seen", () => {
  test("every processing step reports started, then done with a detail, even on the fast offline path", async () => {
    const bundle = oomBundle();
    const events: ProgressEvent[] = [];
    await runAnalysis({ alert: bundle.alert, bundle }, { budgetTokens: 4000 }, { offline: true, onProgress: (e) => events.push(e) });
    for (const step of ["redact", "signals", "reduce", "report"] as const) {
      const mine = events.filter((e) => e.step === step);
      expect(mine.map((e) => e.status), step).toEqual(["started", "done"]);
      expect(mine[1]?.detail, `${step} done detail`).toBeTruthy();
    }
    expect(events.find((e) => e.step === "report" && e.status === "done")?.detail).toMatch(/quote/);
  });

  test("the streamed first hypothesis survives the progress map and shows in the panel while Gemini streams", () => {
    const progress = progressMapSchema.parse({
      redact: { status: "done", detail: "0 secrets redacted" },
      gemini: { status: "progress", detail: "900 characters received", hypothesis: { title: "Container OOMKilled", likelihood: "high", explanation: "memory limit 256Mi" } },
    });
    expect(progress.gemini?.hypothesis?.title).toBe("Container OOMKilled");
    const html = renderToStaticMarkup(createElement(ProgressSteps, { progress }));
    expect(html).toContain('data-testid="first-hypothesis"');
    expect(html).toContain("Container OOMKilled");
    // Once Gemini is done the report shows the grounded hypotheses; the unchecked one is no longer shown.
    const done = renderToStaticMarkup(createElement(ProgressSteps, { progress: { ...progress, gemini: { status: "done", hypothesis: progress.gemini?.hypothesis } } }));
    expect(done).not.toContain("first-hypothesis");
  });

  test("a malformed streamed hypothesis is dropped, not fatal to the progress", () => {
    const progress = progressMapSchema.parse({ gemini: { status: "progress", hypothesis: { title: 7 } } });
    expect(progress.gemini).toEqual({ status: "progress" });
  });

  test("the finished step list stays, collapsed, after the analysis ends", () => {
    const html = renderToStaticMarkup(createElement(FinishedSteps, { progress: { redact: { status: "done" }, gemini: { status: "failed", detail: "quota" } } }));
    expect(html).toMatch(/<details[^>]*data-testid="finished-steps"/);
    expect(html).not.toMatch(/<details[^>]* open/);
    expect(html).toContain("1 done, 1 failed");
    expect(renderToStaticMarkup(createElement(FinishedSteps, { progress: {} }))).toBe("");
  });
});
