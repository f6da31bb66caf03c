import { ApiError, GoogleGenAI, ThinkingLevel, type GenerateContentConfig } from "@google/genai";
import { JSONParser } from "@streamparser/json";
import { z } from "zod";
import type { Config } from "@/lib/config";
import { AppError, isAppError, type ErrorCode } from "@/lib/errors";
import {
  actionSchema,
  evidenceSourceSchema,
  hypothesisSchema,
  likelihoodSchema,
  reportEvidenceSchema,
  reportSchema,
  signalCategorySchema,
  type Report,
} from "@/lib/analysis/types";
import type { Prompt } from "@/lib/analysis/prompt";

/**
 * The Gemini diagnosis over @google/genai 2.x: one streamed generateContent call with structured JSON
 * output, validated with zod, retried on 429/5xx (honouring RetryInfo) and on one invalid answer,
 * all within one overall deadline. Every failure is an AppError whose `details.reason` completes the
 * sentence "Offline analysis (Gemini unavailable: <reason>)".
 */

export interface GeminiProgress {
  phase: "request" | "streaming" | "retry" | "hypothesis";
  chars?: number;
  attempt?: number;
  delayMs?: number;
  message?: string;
  /** phase "hypothesis": the first hypothesis, complete in the stream before the rest of the answer. */
  hypothesis?: StreamedHypothesis;
}

/** The first hypothesis as streamed: not yet grounded against the evidence, shown only while the report is written. */
export const streamedHypothesisSchema = z.object({
  title: z.string().transform((t) => t.slice(0, 300)),
  likelihood: likelihoodSchema,
  category: z.string().max(40).optional().catch(undefined),
  explanation: z.string().transform((t) => t.slice(0, 600)).optional().catch(undefined),
});
export type StreamedHypothesis = z.infer<typeof streamedHypothesisSchema>;

/**
 * Watch a JSON answer as it streams and report its first complete hypothesis once. Incremental
 * (@streamparser/json), so the whole answer is tokenized once: linear in its length. Anything unexpected
 * (a fence, invalid JSON) just stops the watch; the full answer is still parsed and checked at the end.
 */
export function watchFirstHypothesis(onHypothesis: (h: StreamedHypothesis) => void): (chunk: string) => void {
  let parser: JSONParser | undefined = new JSONParser({ paths: ["$.hypotheses.*"], keepStack: false });
  let started = false;
  const stop = () => {
    parser = undefined;
  };
  parser.onError = stop;
  parser.onValue = ({ value }) => {
    // The rest of the chunk being written still reaches here after stop(): only the first counts.
    if (!parser) return;
    stop();
    const h = streamedHypothesisSchema.safeParse(value);
    if (h.success) onHypothesis(h.data);
  };
  return (chunk) => {
    if (!parser) return;
    let text = chunk;
    if (!started) {
      const i = text.indexOf("{");
      if (i < 0) return;
      started = true;
      text = text.slice(i);
    }
    try {
      parser.write(text);
    } catch {
      stop();
    }
  };
}

export interface DiagnoseOptions {
  onProgress?: (p: GeminiProgress) => void;
  signal?: AbortSignal;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export interface DiagnoseResult {
  report: Report;
  usage: Usage;
  model: string;
  latencyMs: number;
  attempts: number;
}

export interface GeminiDeps {
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** Transient failures (429, 5xx, network) are tried at most this often in total. */
const MAX_TRANSIENT_ATTEMPTS = 3;
/** An answer that is not valid JSON of the right shape is asked for once more. */
const MAX_INVALID_RETRIES = 1;
const BASE_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 16_000;
const MAX_OUTPUT_TOKENS = 8192;
const RETRYABLE_STATUS = new Set([429, 500, 503, 504]);

const clipped = (max: number) => z.string().transform((s) => (s.length > max ? `${s.slice(0, max - 1)}…` : s));

/** What the model must fill; the rest of the report (source, usage, times) is ours. */
const modelOutputSchema = z.object({
  summary: clipped(4000),
  hypotheses: z
    .array(
      z.object({
        title: clipped(300),
        category: signalCategorySchema.optional().catch(undefined),
        likelihood: likelihoodSchema,
        explanation: clipped(4000).default(""),
        evidence: z
          .array(
            z.object({
              source: evidenceSourceSchema.nullish().catch(undefined).transform((v) => v ?? undefined),
              line: z.number().int().positive().nullish().catch(undefined).transform((v) => v ?? undefined),
              text: clipped(2000),
            }),
          )
          .transform((a) => a.slice(0, 20)),
      }),
    )
    .transform((a) => a.slice(0, 5)),
  impact: clipped(4000),
  immediateActions: z
    .array(z.object({ step: clipped(2000), command: clipped(2000).nullish().transform((v) => v || undefined) }))
    .transform((a) => a.slice(0, 20)),
  prevention: z.array(clipped(2000)).transform((a) => a.slice(0, 20)),
  insufficientEvidence: z.boolean().default(false),
  // A malformed verdict on past incidents costs the verdicts, not the report.
  pastIncidents: z
    .array(z.object({ analysisId: clipped(64), applies: z.boolean(), note: clipped(1000) }))
    .transform((a) => a.slice(0, 5))
    .optional()
    .catch(undefined),
});

/**
 * The answer Gemini is asked for, built from the report schema's own parts (lib/analysis/types): the
 * report's fields the model fills, with what it must always give (a category, a source per quote, one to
 * three hypotheses) required, and descriptions that guide it.
 */
const modelAnswerSchema = z.object({
  summary: reportSchema.shape.summary.describe("Two to three sentences: what failed and the most likely cause."),
  hypotheses: z
    .array(
      hypothesisSchema.extend({
        category: signalCategorySchema,
        evidence: z
          .array(
            reportEvidenceSchema.omit({ verified: true }).extend({
              source: evidenceSourceSchema,
              line: reportEvidenceSchema.shape.line.describe("Line number for logs and previousLogs."),
              text: reportEvidenceSchema.shape.text.describe("An exact substring of the evidence, without the line-number prefix."),
            }),
          )
          .describe("Verbatim quotes from the data blocks."),
      }),
    )
    .min(1)
    .max(3)
    .describe("Root-cause hypotheses ranked from most to least likely."),
  impact: reportSchema.shape.impact.describe("Who and what is affected: users, latency, error rates, capacity."),
  immediateActions: z.array(
    actionSchema.extend({
      command: actionSchema.shape.command.describe("An exact kubectl command, if one applies."),
      hypothesis: actionSchema.shape.hypothesis.describe("The number (1-based) of the hypothesis this action belongs to; omitted for steps that apply whatever the cause."),
    }),
  ),
  prevention: z.array(reportSchema.shape.prevention.element),
  insufficientEvidence: reportSchema.shape.insufficientEvidence,
  pastIncidents: reportSchema.shape.pastIncidents.describe(
    "Only when the message has a \"Seen before\" block: one entry per earlier incident listed there (its analysisId as given), saying whether its fix applies to this incident and why.",
  ),
});

/**
 * Keywords left out of the schema sent: Gemini's structured output takes a subset of JSON Schema, and
 * the report's length bounds are enforced on the answer instead (modelOutputSchema clips).
 */
const UNSENT_KEYWORDS = ["$schema", "additionalProperties", "default", "maxLength", "maximum"] as const;

/** The response JSON Schema sent to Gemini, derived from modelAnswerSchema. */
export const responseJsonSchema = withoutUnsent(
  z.toJSONSchema(modelAnswerSchema, { io: "output", override: ({ jsonSchema }) => void withoutUnsent(jsonSchema) }),
);

function withoutUnsent<T extends Record<string, unknown>>(jsonSchema: T): T {
  for (const k of UNSENT_KEYWORDS) delete jsonSchema[k];
  return jsonSchema;
}

const googleErrorSchema = z.object({
  error: z.object({
    code: z.number().optional(),
    message: z.string().optional(),
    status: z.string().optional(),
    details: z
      .array(z.object({ "@type": z.string().optional(), reason: z.string().optional(), retryDelay: z.string().optional() }).loose())
      .optional()
      .catch(undefined),
  }),
});
type GoogleError = z.infer<typeof googleErrorSchema>["error"];

/** The JSON error body inside an ApiError message ("{…}" or "got status: X. {…}"). */
function parseApiError(e: ApiError): GoogleError | undefined {
  const i = e.message.indexOf("{");
  if (i < 0) return undefined;
  try {
    const r = googleErrorSchema.safeParse(JSON.parse(e.message.slice(i)));
    return r.success ? r.data.error : undefined;
  } catch {
    return undefined;
  }
}

/** "33s", "1.5s" → milliseconds (google.protobuf.Duration JSON form). */
export function parseRetryDelay(d: string | undefined): number | undefined {
  const m = d?.match(/^(\d+(?:\.\d+)?)s$/);
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

function fmtDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10}s`.replace(/\.0s$/, "s");
}

function fail(code: ErrorCode, reason: string, hint: string, extra: { cause?: unknown; retryAfterSeconds?: number; status?: number } = {}): AppError {
  return new AppError(code, `Gemini unavailable: ${reason}`, {
    hint,
    cause: extra.cause,
    retryAfterSeconds: extra.retryAfterSeconds,
    details: { reason, ...(extra.status ? { status: extra.status } : {}) },
  });
}

interface Transient {
  error: AppError;
  retryDelayMs?: number;
}

/** Sort a thrown SDK/network error into a final AppError or a transient one worth another attempt. */
function classify(e: unknown, model: string, baseUrl: string | undefined): { fatal: AppError } | { transient: Transient } | { invalid: string } {
  if (e instanceof ApiError) {
    const g = parseApiError(e);
    const status = e.status;
    const gStatus = g?.status ?? "";
    const keyInvalid = g?.details?.some((d) => d.reason === "API_KEY_INVALID") || /API key not valid/i.test(g?.message ?? "");
    if (status === 401 || status === 403 || keyInvalid) {
      return {
        fatal: fail("not_configured", "the API key was rejected: check GEMINI_API_KEY", "Set GEMINI_API_KEY to a valid key from https://aistudio.google.com/apikey and restart.", { cause: e, status }),
      };
    }
    if (status === 404) {
      return {
        fatal: fail("not_configured", `model ${model} not found: set GEMINI_MODEL`, "Set GEMINI_MODEL to a model your key can use, e.g. gemini-3.8-flash.", { cause: e, status }),
      };
    }
    if (RETRYABLE_STATUS.has(status)) {
      const retryDelayMs = parseRetryDelay(g?.details?.find((d) => d["@type"]?.endsWith("google.rpc.RetryInfo"))?.retryDelay);
      if (status === 429) {
        const after = retryDelayMs !== undefined ? Math.ceil(retryDelayMs / 1000) : undefined;
        return {
          transient: {
            retryDelayMs,
            error: fail(
              "rate_limited",
              after !== undefined ? `quota exhausted (retry after ${after}s)` : "quota exhausted",
              "Wait and re-analyze, or raise the Gemini quota of this project.",
              { cause: e, status, retryAfterSeconds: after },
            ),
          },
        };
      }
      return {
        transient: {
          retryDelayMs,
          error: fail("unavailable", `Gemini is overloaded or down (${status} ${gStatus || "error"})`, "Re-analyze in a few minutes.", { cause: e, status }),
        },
      };
    }
    const detail = (g?.message ?? "").slice(0, 160);
    return {
      fatal: fail("upstream", `request rejected (${status} ${gStatus})${detail ? `: ${detail}` : ""}`, "Check GEMINI_MODEL and GEMINI_BASE_URL; the server log has the details.", { cause: e, status }),
    };
  }
  if (e instanceof TypeError) {
    const where = baseUrl ? ` at ${baseUrl}` : "";
    return {
      transient: { error: fail("unavailable", `cannot reach Gemini${where}`, "Check the network and GEMINI_BASE_URL.", { cause: e }) },
    };
  }
  // Anything else the SDK throws comes from a malformed stream (a cut or unparsable chunk).
  return { invalid: e instanceof Error ? e.message.slice(0, 160) : "malformed stream" };
}

interface StreamOutcome {
  text: string;
  finishReason?: string;
  blockReason?: string;
  usage: Usage;
  modelVersion?: string;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** At most `n` holders at once (GEMINI_CONCURRENCY); waiters leave the queue when their signal aborts. */
function semaphore(n: number) {
  let free = n;
  const waiters: (() => void)[] = [];
  return {
    acquire(signal?: AbortSignal): Promise<void> {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (free > 0) {
        free--;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const grant = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = waiters.indexOf(grant);
          if (i >= 0) waiters.splice(i, 1);
          reject(signal?.reason);
        };
        waiters.push(grant);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
    release(): void {
      const next = waiters.shift();
      if (next) next();
      else free++;
    },
  };
}

function stripJsonFence(text: string): string {
  const m = text.trim().match(/^```(?:json)?\s*\n([\s\S]*?)\n?```$/);
  return m?.[1] ?? text;
}

function parseOutput(text: string): z.infer<typeof modelOutputSchema> | string {
  let data: unknown;
  try {
    data = JSON.parse(stripJsonFence(text));
  } catch {
    return "the answer was not JSON";
  }
  const r = modelOutputSchema.safeParse(data);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  return `the answer had the wrong shape (${first?.path.join(".") || "(root)"}: ${first?.message ?? "invalid"})`;
}

/**
 * A Gemini diagnoser bound to one configuration.
 * @throws AppError not_configured when GEMINI_API_KEY is missing.
 */
export function createGeminiDiagnoser(cfg: Config["gemini"], deps: GeminiDeps = {}) {
  if (!cfg.apiKey) {
    throw new AppError("not_configured", "Gemini is not configured", {
      hint: "Set GEMINI_API_KEY (from https://aistudio.google.com/apikey) to use Gemini; without it the offline analyzer runs.",
      details: { reason: "GEMINI_API_KEY is not set" },
    });
  }
  const sleep = deps.sleep ?? defaultSleep;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  // v1 is @google/genai 3.x's default for the Developer API; stated here so the SDK's own
  // GOOGLE_GENAI_API_VERSION variable cannot move the console to another version behind lib/config.ts.
  const ai = new GoogleGenAI({
    apiKey: cfg.apiKey,
    httpOptions: { baseUrl: cfg.baseUrl, apiVersion: "v1", timeout: cfg.timeoutMs },
  });
  const model = cfg.model;
  const slots = semaphore(Math.max(1, cfg.concurrency));
  const legacyThinking = /^gemini-(1|2)\./.test(model);

  async function streamOnce(prompt: Prompt, signal: AbortSignal, onChars: (n: number) => void, onHypothesis: (h: StreamedHypothesis) => void): Promise<StreamOutcome> {
    const config: GenerateContentConfig = {
      systemInstruction: prompt.systemInstruction,
      temperature: 0.2,
      maxOutputTokens: MAX_OUTPUT_TOKENS,
      responseMimeType: "application/json",
      responseJsonSchema,
      // Gemini 3+ takes a thinking level; 2.x models take a budget, and sending both is a 400.
      thinkingConfig: legacyThinking ? { thinkingBudget: 1024 } : { thinkingLevel: ThinkingLevel.LOW },
      abortSignal: signal,
      automaticContinuation: false,
    };
    const stream = await ai.models.generateContentStream({
      model,
      contents: [{ role: "user", parts: [{ text: prompt.userText }] }],
      config,
    });
    const out: StreamOutcome = { text: "", usage: { inputTokens: 0, outputTokens: 0 } };
    const watch = watchFirstHypothesis(onHypothesis);
    for await (const chunk of stream) {
      if (chunk.promptFeedback?.blockReason) out.blockReason = chunk.promptFeedback.blockReason;
      const cand = chunk.candidates?.[0];
      for (const part of cand?.content?.parts ?? []) {
        if (typeof part.text === "string" && !part.thought) {
          out.text += part.text;
          watch(part.text);
        }
      }
      if (cand?.finishReason) out.finishReason = cand.finishReason;
      if (chunk.modelVersion) out.modelVersion = chunk.modelVersion;
      const u = chunk.usageMetadata;
      if (u) {
        out.usage = {
          inputTokens: u.promptTokenCount ?? 0,
          outputTokens: (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0),
        };
      }
      onChars(out.text.length);
    }
    return out;
  }

  /**
   * Diagnose one incident from its prompt.
   * @throws AppError with details.reason: not_configured (key, model), rate_limited, unavailable, timeout or upstream (blocked, cut, invalid output).
   */
  async function diagnose(prompt: Prompt, opts: DiagnoseOptions = {}): Promise<DiagnoseResult> {
    try {
      await slots.acquire(opts.signal);
    } catch (e) {
      throw fail("unavailable", "the analysis was cancelled", "Start the analysis again.", { cause: e });
    }
    try {
      return await diagnoseNow(prompt, opts);
    } finally {
      slots.release();
    }
  }

  async function diagnoseNow(prompt: Prompt, opts: DiagnoseOptions): Promise<DiagnoseResult> {
    const emit = opts.onProgress ?? (() => {});
    const start = now();
    const deadline = start + cfg.timeoutMs;
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort();
    }, cfg.timeoutMs);
    const onCallerAbort = () => ctrl.abort();
    if (opts.signal?.aborted) ctrl.abort();
    opts.signal?.addEventListener("abort", onCallerAbort, { once: true });

    const usage: Usage = { inputTokens: 0, outputTokens: 0 };
    let attempts = 0;
    let transientAttempts = 0;
    let invalidRetries = 0;
    const interrupted = (cause?: unknown) =>
      timedOut
        ? fail("timeout", `no answer within ${fmtDuration(cfg.timeoutMs)}`, "Re-analyze, or raise GEMINI_TIMEOUT_MS.", { cause })
        : fail("unavailable", "the analysis was cancelled", "Start the analysis again.", { cause });

    try {
      for (;;) {
        attempts++;
        emit({ phase: "request", attempt: attempts });
        let outcome: StreamOutcome;
        let invalid: string | undefined;
        try {
          outcome = await streamOnce(
            prompt,
            ctrl.signal,
            (chars) => emit({ phase: "streaming", chars, attempt: attempts }),
            (hypothesis) => emit({ phase: "hypothesis", hypothesis, attempt: attempts }),
          );
        } catch (e) {
          if (ctrl.signal.aborted) throw interrupted(e);
          const c = classify(e, model, cfg.baseUrl);
          if ("fatal" in c) throw c.fatal;
          if ("transient" in c) {
            transientAttempts++;
            if (transientAttempts >= MAX_TRANSIENT_ATTEMPTS) throw c.transient.error;
            const exp = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (transientAttempts - 1));
            // Equal jitter keeps a floor under the wait; a stated RetryInfo delay gets only a little on top.
            const delayMs = c.transient.retryDelayMs !== undefined ? c.transient.retryDelayMs + Math.round(random() * 250) : Math.round(exp / 2 + random() * (exp / 2));
            if (now() + delayMs >= deadline) throw c.transient.error;
            emit({ phase: "retry", attempt: attempts + 1, delayMs, message: String(c.transient.error.details?.reason ?? "") });
            try {
              await sleep(delayMs, ctrl.signal);
            } catch (err) {
              throw interrupted(err);
            }
            if (ctrl.signal.aborted) throw interrupted();
            continue;
          }
          invalid = c.invalid;
          outcome = { text: "", usage: { inputTokens: 0, outputTokens: 0 } };
        }
        usage.inputTokens += outcome.usage.inputTokens;
        usage.outputTokens += outcome.usage.outputTokens;

        if (!invalid) {
          if (outcome.blockReason) {
            throw fail("upstream", `prompt blocked: ${outcome.blockReason}`, "The evidence tripped Gemini's safety filter; use the offline report or redact more.");
          }
          if (outcome.finishReason && outcome.finishReason !== "STOP") {
            throw fail("upstream", `response cut: ${outcome.finishReason}`, "Re-analyze; if it repeats, lower LOG_BUDGET_TOKENS so the answer has room.");
          }
          if (!outcome.finishReason) invalid = "the stream ended without a finish reason";
        }
        const parsed = invalid ?? parseOutput(outcome.text);
        if (typeof parsed === "string") {
          if (invalidRetries >= MAX_INVALID_RETRIES) {
            throw new AppError("upstream", "Gemini returned invalid output twice; the offline analysis is shown instead.", {
              hint: "Re-analyze; if it repeats, try another GEMINI_MODEL.",
              details: { reason: "invalid output after a retry", detail: parsed },
            });
          }
          invalidRetries++;
          emit({ phase: "retry", attempt: attempts + 1, delayMs: 0, message: parsed });
          continue;
        }
        const latencyMs = Math.max(0, now() - start);
        const usedModel = outcome.modelVersion ?? model;
        const report = reportSchema.parse({
          ...parsed,
          hypotheses: parsed.hypotheses.map((h) => ({ ...h, evidence: h.evidence.map((ev) => ({ ...ev, verified: false })) })),
          immediateActions: parsed.immediateActions.map((a) => actionSchema.parse(a)),
          source: "gemini",
          model: usedModel,
          usage,
          durationMs: latencyMs,
          generatedAt: new Date(now()).toISOString(),
        });
        return { report, usage, model: usedModel, latencyMs, attempts };
      }
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onCallerAbort);
    }
  }

  return { model, diagnose };
}

/** The reason to show in "Offline analysis (Gemini unavailable: <reason>)" for any thrown value. */
export function geminiFailureReason(e: unknown): string {
  if (isAppError(e)) {
    const r = e.details?.reason;
    return typeof r === "string" ? r : e.message;
  }
  return e instanceof Error ? e.message : String(e);
}
