import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { z } from "zod";
import type { Config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { createGeminiDiagnoser, geminiFailureReason, responseJsonSchema, type GeminiProgress } from "@/lib/analysis/gemini";
import { evidenceSourceSchema, likelihoodSchema, signalCategorySchema } from "@/lib/analysis/types";
import { buildPrompt } from "@/lib/analysis/prompt";
import { groundReport } from "@/lib/analysis/grounding";
import { redactBundle } from "@/lib/analysis/redact";
import { reduceLogs } from "@/lib/analysis/reduce";
import { startFakeGemini, type FakeGemini } from "@/test/fakes/gemini-server";
import { CONTAINER, NS, POD, SECRETS, oomBundle } from "@/test/analysis/gemini-fixture";

/** The response schema as it was written by hand before it was derived from the report schema: the wire shape Gemini gets. */
const RECORDED_RESPONSE_SCHEMA = {
  type: "object",
  properties: {
    summary: { type: "string", description: "Two to three sentences: what failed and the most likely cause." },
    hypotheses: {
      type: "array",
      minItems: 1,
      maxItems: 3,
      description: "Root-cause hypotheses ranked from most to least likely.",
      items: {
        type: "object",
        properties: {
          title: { type: "string" },
          category: { type: "string", enum: signalCategorySchema.options },
          likelihood: { type: "string", enum: likelihoodSchema.options },
          explanation: { type: "string" },
          evidence: {
            type: "array",
            description: "Verbatim quotes from the data blocks.",
            items: {
              type: "object",
              properties: {
                source: { type: "string", enum: evidenceSourceSchema.options },
                line: { type: "integer", minimum: 1, description: "Line number for logs and previousLogs." },
                text: { type: "string", description: "An exact substring of the evidence, without the line-number prefix." },
              },
              required: ["source", "text"],
            },
          },
        },
        required: ["title", "category", "likelihood", "explanation", "evidence"],
      },
    },
    impact: { type: "string", description: "Who and what is affected: users, latency, error rates, capacity." },
    immediateActions: {
      type: "array",
      items: {
        type: "object",
        properties: {
          step: { type: "string" },
          command: { type: "string", description: "An exact kubectl command, if one applies." },
          hypothesis: { type: "integer", minimum: 1, description: "The number (1-based) of the hypothesis this action belongs to; omitted for steps that apply whatever the cause." },
        },
        required: ["step"],
      },
    },
    prevention: { type: "array", items: { type: "string" } },
    insufficientEvidence: { type: "boolean" },
    // Optional: asked for only when the prompt carries a "Seen before" block (issue 19).
    pastIncidents: {
      description: 'Only when the message has a "Seen before" block: one entry per earlier incident listed there (its analysisId as given), saying whether its fix applies to this incident and why.',
      maxItems: 5,
      type: "array",
      items: {
        type: "object",
        properties: { analysisId: { type: "string" }, applies: { type: "boolean" }, note: { type: "string" } },
        required: ["analysisId", "applies", "note"],
      },
    },
  },
  required: ["summary", "hypotheses", "impact", "immediateActions", "prevention", "insufficientEvidence"],
};

test("the response schema derived from the report schema is the one Gemini has always been sent", () => {
  expect(responseJsonSchema).toStrictEqual(RECORDED_RESPONSE_SCHEMA);
  expect(JSON.stringify(responseJsonSchema)).not.toMatch(/maxLength|additionalProperties|\$schema|"default"/);
});

let fake: FakeGemini;

beforeAll(async () => {
  fake = await startFakeGemini({ apiKey: "test-key" });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
});

function cfg(over: Partial<Config["gemini"]> = {}): Config["gemini"] {
  return { apiKey: "test-key", model: "gemini-3.8-flash", baseUrl: fake.url, timeoutMs: 20_000, concurrency: 1, logBudgetTokens: 8000, ...over };
}

/** A diagnoser whose waits are recorded instead of slept. */
function diagnoser(over: Partial<Config["gemini"]> = {}) {
  const delays: number[] = [];
  const d = createGeminiDiagnoser(cfg(over), {
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
  });
  return { d, delays };
}

function redactedInput() {
  const { bundle } = redactBundle(oomBundle());
  return { bundle, prompt: buildPrompt({ bundle, signals: [] }) };
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof AppError)) throw new Error(`expected an AppError, got ${String(e)}`);
  return e;
}

describe("Gemini diagnoser through the real SDK", () => {
  test("a good streamed report is parsed, grounded and its usage recorded", async () => {
    const { bundle, prompt } = redactedInput();
    const progress: GeminiProgress[] = [];
    const { d } = diagnoser();
    const r = await d.diagnose(prompt, { onProgress: (p) => progress.push(p) });

    expect(r.attempts).toBe(1);
    expect(r.model).toBe("gemini-3.8-flash");
    expect(r.report.source).toBe("gemini");
    expect(r.report.model).toBe("gemini-3.8-flash");
    expect(r.report.hypotheses.length).toBeGreaterThan(0);
    expect(r.report.hypotheses.flatMap((h) => h.evidence).every((e) => e.verified === false)).toBe(true);
    // thoughtsTokenCount counts as output: the fake reports 48 thought tokens on top of the answer.
    expect(r.usage.outputTokens).toBeGreaterThan(48);
    expect(r.usage.inputTokens).toBeGreaterThan(prompt.userText.length / 8);
    expect(r.report.usage).toEqual(r.usage);
    expect(r.report.durationMs).toBe(r.latencyMs);
    expect(Number.isNaN(Date.parse(r.report.generatedAt))).toBe(false);

    const streamed = progress.filter((p) => p.phase === "streaming").map((p) => p.chars ?? 0);
    expect(progress[0]?.phase).toBe("request");
    expect(streamed.length).toBeGreaterThan(1);
    expect([...streamed].sort((a, b) => a - b)).toEqual(streamed);

    const grounded = groundReport(r.report, bundle);
    const killed = grounded.hypotheses.flatMap((h) => h.evidence).find((e) => e.text === "Killed");
    expect(killed).toMatchObject({ source: "previousLogs", line: 12, verified: true });
  });

  test("quotes copied from reduced logs (with their line-number prefix) are verified", async () => {
    const { bundle } = redactBundle(oomBundle());
    const condensed = reduceLogs(bundle.previousLogs ?? "", { budgetTokens: 2000 }).text;
    const prompt = buildPrompt({ bundle, condensedPreviousLogs: condensed, signals: [] });
    // A model that copies the prefix verbatim: the whole condensed line, "12| Killed" style.
    fake.enqueue({
      kind: "report",
      build: (req) => {
        const line = req.userText.split("\n").find((l) => /^\s*\d+\| Killed$/.test(l)) ?? "";
        return { summary: "s", hypotheses: [{ title: "OOM", category: "oom_killed", likelihood: "high", explanation: "", evidence: [{ source: "previousLogs", text: line }] }], impact: "i", immediateActions: [], prevention: [], insufficientEvidence: false };
      },
    });
    const { d } = diagnoser();
    const r = await d.diagnose(prompt);
    expect(r.report.hypotheses[0]?.evidence[0]?.text).toMatch(/^\s*12\| Killed$/);
    expect(groundReport(r.report, bundle).hypotheses[0]?.evidence[0]).toMatchObject({ text: "Killed", line: 12, verified: true });
  });

  test("the request carries the role, the four tasks and the evidence, and no secret", async () => {
    const { prompt } = redactedInput();
    const { d } = diagnoser();
    await d.diagnose(prompt);
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0];
    if (!req) throw new Error("no request recorded");

    expect(req.path).toBe("/v1/models/gemini-3.8-flash:streamGenerateContent");
    expect(req.query.alt).toBe("sse");
    expect(req.headers["x-goog-api-key"]).toBe("test-key");
    expect(req.systemText).toMatch(/expert MLOps site reliability engineer/);
    expect(req.systemText).toMatch(/VERBATIM/);
    expect(req.systemText).toMatch(/never follow it/);
    for (const task of ["Root-cause hypotheses", "Impact assessment", "Immediate actions", "Prevention recommendations"]) {
      expect(req.userText).toContain(task);
    }
    expect(req.userText).toContain(POD);
    expect(req.userText).toContain(`Use namespace "${NS}", pod "${POD}" and container "${CONTAINER}"`);
    expect(req.userText).toContain("8| INFO 11-20 09:41:31 [model_runner.py:1067] Loading model weights took 14.9888 GB");
    expect(req.userText).toContain("12| Killed");
    expect(req.userText).toContain("terminated OOMKilled exitCode=137");
    expect(req.userText).toContain("Back-off restarting failed container vllm");

    const wire = JSON.stringify(req.body);
    for (const secret of Object.values(SECRETS)) expect(wire).not.toContain(secret);
    expect(wire).toContain("[REDACTED:");

    const gen = z.object({ generationConfig: z.record(z.string(), z.unknown()) }).parse(req.body).generationConfig;
    expect(gen).toMatchObject({ temperature: 0.2, responseMimeType: "application/json", thinkingConfig: { thinkingLevel: "LOW" } });
    expect(gen.responseJsonSchema).toEqual(RECORDED_RESPONSE_SCHEMA);
  });

  test("without redaction the same prompt would leak the planted secrets (the check above can fail)", () => {
    const prompt = buildPrompt({ bundle: oomBundle(), signals: [] });
    expect(prompt.userText).toContain(SECRETS.hfToken);
  });

  test("429 with RetryInfo is retried after the stated delay", async () => {
    fake.enqueue({ kind: "error", status: 429, retryDelay: "7s" });
    const progress: GeminiProgress[] = [];
    const { d, delays } = diagnoser();
    const r = await d.diagnose(redactedInput().prompt, { onProgress: (p) => progress.push(p) });
    expect(r.attempts).toBe(2);
    expect(fake.requests).toHaveLength(2);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(7000);
    expect(delays[0]).toBeLessThan(7300);
    expect(progress.find((p) => p.phase === "retry")).toMatchObject({ attempt: 2, delayMs: delays[0], message: "quota exhausted (retry after 7s)" });
  });

  test("503 twice, then success, with growing backoff", async () => {
    fake.enqueue({ kind: "error", status: 503 }, { kind: "error", status: 503 });
    const { d, delays } = diagnoser();
    const r = await d.diagnose(redactedInput().prompt);
    expect(r.attempts).toBe(3);
    expect(fake.requests).toHaveLength(3);
    expect(delays).toHaveLength(2);
    expect(delays[1]).toBeGreaterThan(delays[0] ?? Infinity);
  });

  test("an outage that outlasts the retries is an 'unavailable' AppError", async () => {
    fake.enqueue({ kind: "error", status: 503 }, { kind: "error", status: 500 }, { kind: "error", status: 503 });
    const { d } = diagnoser();
    const e = await failure(d.diagnose(redactedInput().prompt));
    expect(e.code).toBe("unavailable");
    expect(geminiFailureReason(e)).toMatch(/overloaded or down \(503 UNAVAILABLE\)/);
    expect(fake.requests).toHaveLength(3);
  });

  test("quota still exhausted after the retries says when to retry", async () => {
    fake.enqueue(...Array.from({ length: 3 }, () => ({ kind: "error", status: 429, retryDelay: "2s" }) as const));
    const { d } = diagnoser();
    const e = await failure(d.diagnose(redactedInput().prompt));
    expect(e.code).toBe("rate_limited");
    expect(geminiFailureReason(e)).toBe("quota exhausted (retry after 2s)");
    expect(e.retryAfterSeconds).toBe(2);
  });

  test("a RetryInfo delay beyond the deadline fails at once instead of waiting", async () => {
    fake.enqueue({ kind: "error", status: 429, retryDelay: "3600s" });
    const { d, delays } = diagnoser({ timeoutMs: 10_000 });
    const e = await failure(d.diagnose(redactedInput().prompt));
    expect(geminiFailureReason(e)).toBe("quota exhausted (retry after 3600s)");
    expect(delays).toHaveLength(0);
    expect(fake.requests).toHaveLength(1);
  });

  test("a rejected key is a not_configured error naming GEMINI_API_KEY, not retried", async () => {
    const { d } = diagnoser({ apiKey: "wrong-key" });
    const e = await failure(d.diagnose(redactedInput().prompt));
    expect(e.code).toBe("not_configured");
    expect(e.hint).toContain("GEMINI_API_KEY");
    expect(geminiFailureReason(e)).toBe("the API key was rejected: check GEMINI_API_KEY");
    expect(fake.requests).toHaveLength(1);
  });

  test("no key at all: not_configured before any request", () => {
    let err: unknown;
    try {
      createGeminiDiagnoser(cfg({ apiKey: undefined }));
    } catch (e) {
      err = e;
    }
    if (!(err instanceof AppError)) throw new Error("expected an AppError");
    expect(err).toMatchObject({ code: "not_configured", message: "Gemini is not configured" });
    expect(err.hint).toContain("GEMINI_API_KEY");
    expect(fake.requests).toHaveLength(0);
  });

  test("an unknown model names GEMINI_MODEL", async () => {
    const { d } = diagnoser({ model: "gemini-9-nope" });
    const e = await failure(d.diagnose(redactedInput().prompt));
    expect(geminiFailureReason(e)).toBe("model gemini-9-nope not found: set GEMINI_MODEL");
  });

  test("a blocked prompt is reported with its block reason", async () => {
    fake.enqueue({ kind: "blocked", blockReason: "SAFETY" });
    const { d } = diagnoser();
    const e = await failure(d.diagnose(redactedInput().prompt));
    expect(e.code).toBe("upstream");
    expect(geminiFailureReason(e)).toBe("prompt blocked: SAFETY");
    expect(fake.requests).toHaveLength(1);
  });

  test("MAX_TOKENS is a cut response, not a report", async () => {
    fake.enqueue({ kind: "maxTokens" });
    const { d } = diagnoser();
    const e = await failure(d.diagnose(redactedInput().prompt));
    expect(geminiFailureReason(e)).toBe("response cut: MAX_TOKENS");
  });

  test("malformed JSON is retried once, then reported as invalid output", async () => {
    fake.enqueue({ kind: "text", text: '{"summary": "OOM' }, { kind: "text", text: "not json at all" });
    const { d } = diagnoser();
    const e = await failure(d.diagnose(redactedInput().prompt));
    expect(e.code).toBe("upstream");
    expect(e.message).toMatch(/Gemini returned invalid output/);
    expect(geminiFailureReason(e)).toBe("invalid output after a retry");
    expect(fake.requests).toHaveLength(2);
  });

  test("one malformed answer followed by a good one succeeds", async () => {
    fake.enqueue({ kind: "text", text: JSON.stringify({ summary: "missing every other field" }) });
    const { d } = diagnoser();
    const r = await d.diagnose(redactedInput().prompt);
    expect(r.attempts).toBe(2);
    expect(r.report.hypotheses.length).toBeGreaterThan(0);
  });

  test("a hanging server ends in a timeout AppError", async () => {
    fake.enqueue({ kind: "hang" });
    const d = createGeminiDiagnoser(cfg({ timeoutMs: 400 }));
    const e = await failure(d.diagnose(redactedInput().prompt));
    expect(e.code).toBe("timeout");
    expect(geminiFailureReason(e)).toBe("no answer within 400 ms");
  });

  test("GEMINI_CONCURRENCY bounds parallel calls: the second waits for the first", async () => {
    fake.enqueue({ kind: "report", delayMs: 100 }, { kind: "report" });
    const log: string[] = [];
    const d = createGeminiDiagnoser(cfg({ concurrency: 1 }));
    const { prompt } = redactedInput();
    const track = (name: string) => (p: GeminiProgress) => log.push(`${name}:${p.phase}`);
    await Promise.all([d.diagnose(prompt, { onProgress: track("a") }), d.diagnose(prompt, { onProgress: track("b") })]);
    expect(log.indexOf("b:request")).toBeGreaterThan(log.lastIndexOf("a:streaming"));

    const log2: string[] = [];
    const wide = createGeminiDiagnoser(cfg({ concurrency: 2 }));
    fake.enqueue({ kind: "report", delayMs: 100 }, { kind: "report", delayMs: 100 });
    await Promise.all([wide.diagnose(prompt, { onProgress: (p) => log2.push(`a:${p.phase}`) }), wide.diagnose(prompt, { onProgress: (p) => log2.push(`b:${p.phase}`) })]);
    expect(log2.slice(0, 2)).toEqual(["a:request", "b:request"]);
  });

  test("the caller can cancel", async () => {
    fake.enqueue({ kind: "hang" });
    const ctrl = new AbortController();
    const { d } = diagnoser();
    const p = d.diagnose(redactedInput().prompt, { signal: ctrl.signal, onProgress: (x) => x.phase === "request" && setTimeout(() => ctrl.abort(), 50) });
    const e = await failure(p);
    expect(geminiFailureReason(e)).toBe("the analysis was cancelled");
  });
});
