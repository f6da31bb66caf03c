import { describe, expect, it } from "vitest";
import { withLive } from "@/components/analysis/use-analysis";
import type { Analysis } from "@/lib/analysis/api";

/** What the analysis panel shows while the progress stream is open. */

const base: Analysis = { id: "a1", fingerprint: "fp", status: "queued", trigger: "webhook", createdAt: "2026-03-01T10:00:00.000Z" };

describe("withLive", () => {
  it("keeps a queued analysis queued when the stream opens with its empty progress", () => {
    expect(withLive(base, { id: "a1", progress: {} })?.status).toBe("queued");
  });

  it("says running once the pipeline reports a step, or the server says so", () => {
    const steps = { pod: { status: "done" as const } };
    expect(withLive(base, { id: "a1", progress: steps })).toMatchObject({ status: "running", progress: steps });
    expect(withLive(base, { id: "a1", progress: {}, status: "running" })?.status).toBe("running");
  });

  it("says queued again when the server requeued a running analysis (its worker died)", () => {
    const running: Analysis = { ...base, status: "running", progress: { pod: { status: "done" } } };
    expect(withLive(running, { id: "a1", progress: {}, status: "queued" })?.status).toBe("queued");
  });

  it("never overrides a finished analysis or another analysis's stream", () => {
    const failed: Analysis = { ...base, status: "failed", error: "The analysis job failed after 3 attempts: boom" };
    expect(withLive(failed, { id: "a1", progress: { pod: { status: "done" } }, status: "running" })).toBe(failed);
    expect(withLive(base, { id: "other", progress: { pod: { status: "done" } } })).toBe(base);
  });
});
