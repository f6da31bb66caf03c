import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { GoogleGenAI } from "@google/genai";
import { startFakeGemini, type FakeGemini } from "@/test/fakes/gemini-server";

/** The fake itself must speak the documented wire format (wire-facts.md §3), not just satisfy our client. */

let fake: FakeGemini;
beforeAll(async () => {
  fake = await startFakeGemini({ apiKey: "k" });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

const body = { contents: [{ role: "user", parts: [{ text: "## Current container logs\n```text\n3| ERROR boom\n```" }] }] };

function post(path: string, key: string | null = "k") {
  return fetch(`${fake.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { "x-goog-api-key": key } : {}) },
    body: JSON.stringify(body),
  });
}

describe("fake Gemini wire format", () => {
  test("SSE: data events with a trailing blank line; the last carries finishReason and usageMetadata", async () => {
    const res = await post("/v1/models/gemini-3.8-flash:streamGenerateContent?alt=sse");
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const text = await res.text();
    expect(text.endsWith("\r\n\r\n")).toBe(true);
    const events = text.split("\r\n\r\n").filter(Boolean);
    expect(events.length).toBeGreaterThan(1);
    expect(events.every((e) => e.startsWith("data: "))).toBe(true);
    const chunks = events.map((e) => JSON.parse(e.slice(6)));
    const last = chunks.at(-1);
    expect(last.candidates[0].finishReason).toBe("STOP");
    expect(last.usageMetadata).toMatchObject({ promptTokenCount: expect.any(Number), candidatesTokenCount: expect.any(Number), thoughtsTokenCount: 48 });
    expect(chunks.slice(0, -1).every((c) => c.candidates[0].finishReason === undefined)).toBe(true);
    const report = JSON.parse(chunks.map((c) => c.candidates[0].content.parts[0].text).join(""));
    expect(report.hypotheses[0].evidence[0]).toEqual({ source: "logs", line: 3, text: "ERROR boom" });
  });

  test("generateContent through the SDK on v1, and the request is recorded", async () => {
    const ai = new GoogleGenAI({ apiKey: "k", httpOptions: { baseUrl: fake.url, apiVersion: "v1" } });
    const r = await ai.models.generateContent({ model: "gemini-3.8-flash", contents: "## Events\n```text\nWarning BackOff count=1 last=? Pod/x: Back-off restarting\n```" });
    expect(r.candidates?.[0]?.finishReason).toBe("STOP");
    expect(JSON.parse(r.text ?? "{}").hypotheses[0].evidence[0]).toEqual({ source: "events", text: "Back-off restarting" });
    expect(fake.requests[0]).toMatchObject({ version: "v1", action: "generateContent", model: "gemini-3.8-flash" });
  });

  test("the installed SDK's default endpoint for the Developer API is /v1 (3.x; 2.x called /v1beta)", async () => {
    const ai = new GoogleGenAI({ apiKey: "k", httpOptions: { baseUrl: fake.url } });
    const stream = await ai.models.generateContentStream({ model: "gemini-3.8-flash", contents: "## Current container logs\n```text\n1| ERROR x\n```" });
    for await (const chunk of stream) expect(chunk.candidates?.length).toBe(1);
    expect(fake.requests.map((r) => r.path)).toEqual(["/v1/models/gemini-3.8-flash:streamGenerateContent"]);
    expect(fake.requests[0]?.query.alt).toBe("sse");
  });

  test("errors are Google's JSON: bad key, no key, unknown model, quota with RetryInfo", async () => {
    const bad = await post("/v1/models/gemini-3.8-flash:generateContent", "nope");
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ status: "INVALID_ARGUMENT", details: expect.arrayContaining([expect.objectContaining({ reason: "API_KEY_INVALID" })]) });
    expect((await post("/v1/models/gemini-3.8-flash:generateContent", null)).status).toBe(403);
    const missing = await post("/v1/models/gemini-0:generateContent");
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.message).toContain("models/gemini-0 is not found for API version v1");
    fake.enqueue({ kind: "error", status: 429, retryDelay: "33s" });
    const quota = await post("/v1/models/gemini-3.8-flash:generateContent");
    expect(quota.status).toBe(429);
    expect(quota.headers.get("content-type")).toContain("application/json");
    expect((await quota.json()).error.details).toContainEqual({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "33s" });
  });

  test("a blocked prompt has promptFeedback and no candidates", async () => {
    fake.enqueue({ kind: "blocked" });
    const text = await (await post("/v1/models/gemini-3.8-flash:streamGenerateContent?alt=sse")).text();
    const chunk = JSON.parse(text.trim().slice(6));
    expect(chunk.candidates).toBeUndefined();
    expect(chunk.promptFeedback.blockReason).toBe("SAFETY");
  });
});
