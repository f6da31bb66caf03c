import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as listAnalyses } from "@/app/api/analyses/route";
import { analysisListResponseSchema } from "@/lib/analysis/api";
import { startTestConsole, type TestConsole } from "@/test/helpers/console";
import { sampleReport } from "@/test/store/helpers";

// GET /api/analyses?q=…: the history search through the real route and a real SQLite.
let tc: TestConsole;
beforeAll(async () => {
  tc = await startTestConsole({ AUTO_ANALYZE: "false", AUTO_FILE_SEVERITIES: "none" });
  const s = await tc.services();
  const mk = async (pod: string, namespace: string, evidence: string, source: "gemini" | "offline") => {
    const a = await s.store.createAnalysis({ fingerprint: `fp-${pod}`, trigger: "manual", target: { namespace, pod }, alert: { labels: { alertname: "ModelPodCrashLooping", namespace, pod }, annotations: {} } });
    const report = sampleReport("GPU out of memory", { source });
    report.hypotheses[0]?.evidence.splice(0, 1, { source: "logs", text: evidence, verified: true });
    await s.store.updateAnalysis(a.id, { status: "done", report });
  };
  await mk("triton-0", "gpu-inference", "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB", "gemini");
  await mk("vllm-0", "ml-serving", "<img src=x onerror=alert(1)> CUDA error: an illegal memory access", "offline");
});
afterAll(async () => {
  await tc?.stop();
});

async function search(query: string) {
  const r = await tc.callJson(listAnalyses, { url: `/api/analyses?${query}` });
  return { status: r.status, body: r.body };
}

describe("GET /api/analyses?q=", () => {
  it("answers best match first with the words understood and snippets as text parts, under the filters", async () => {
    const r = await search(`q=${encodeURIComponent('"CUDA out of memory"')}`);
    expect(r.status).toBe(200);
    const body = analysisListResponseSchema.parse(r.body);
    expect(body.terms).toEqual(["cuda out of memory"]);
    expect(body.analyses.map((a) => a.target?.pod)).toEqual(["triton-0"]);
    expect(body.analyses[0]?.snippet?.some((p) => p.hit && /cuda/i.test(p.text))).toBe(true);

    const both = analysisListResponseSchema.parse((await search("q=cuda")).body);
    expect(both.analyses.map((a) => a.target?.pod).sort()).toEqual(["triton-0", "vllm-0"]);
    // Markup in evidence stays text inside the parts; the highlight markers never reach the client.
    const markup = both.analyses.find((a) => a.target?.pod === "vllm-0")?.snippet ?? [];
    expect(markup.map((p) => p.text).join("")).toContain("<img src=x onerror=alert(1)>");
    expect(JSON.stringify(both)).not.toMatch(/\\u000[23]/);

    expect(analysisListResponseSchema.parse((await search("q=cuda&source=offline")).body).analyses.map((a) => a.target?.pod)).toEqual(["vllm-0"]);
    expect(analysisListResponseSchema.parse((await search("q=cuda&namespace=gpu&match=prefix")).body).analyses.map((a) => a.target?.pod)).toEqual(["triton-0"]);
    expect(analysisListResponseSchema.parse((await search("q=cuda&status=failed")).body).analyses).toEqual([]);
    expect(analysisListResponseSchema.parse((await search(`q=${encodeURIComponent('NEAR( " *')}`)).body)).toMatchObject({ analyses: [], terms: ["near"] });
  });

  it("names the wrong parameter in words", async () => {
    const long = await search(`q=${"x".repeat(201)}`);
    expect(long.status).toBe(422);
    expect((long.body as { error: { message: string } }).error.message).toBe("Search is too long (at most 200 characters).");
    const words = await search(`q=${encodeURIComponent(Array.from({ length: 21 }, (_, i) => `w${i}`).join(" "))}`);
    expect(words.status).toBe(422);
    expect((words.body as { error: { message: string; hint?: string } }).error).toMatchObject({ message: "Search has 21 words; at most 20 are allowed." });
    const status = await search("q=cuda&status=finished");
    expect(status.status).toBe(422);
    expect((status.body as { error: { message: string } }).error.message).toBe("Status must be one of: queued, running, done, failed.");
    const source = await search("q=cuda&source=chatgpt");
    expect((source.body as { error: { message: string } }).error.message).toBe("Source must be one of: gemini, offline.");
  });
});
