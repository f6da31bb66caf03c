import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { z } from "zod";

/**
 * A loopback fake of the Gemini Developer API (generativelanguage.googleapis.com), speaking
 * `POST /{v1|v1beta}/models/{model}:generateContent` and `:streamGenerateContent?alt=sse` in the wire
 * format of ../shared/wire-facts.md §3. Each call takes the next scripted step (or the default: a
 * report built from the received prompt), and every request is recorded for assertions. @google/genai
 * 3.x calls v1 (its default for the Developer API, which the console states explicitly); the real API
 * still serves v1beta too, so the fake answers both and records which one was called.
 */

export type GeminiStep =
  /** A JSON report built from the request (default: quotes the error lines it finds in the prompt). */
  | { kind: "report"; build?: (req: RecordedRequest) => unknown; chunks?: number; delayMs?: number; chunkDelayMs?: number }
  /** Arbitrary model text (e.g. malformed JSON) finishing with STOP or the given reason. */
  | { kind: "text"; text: string; finishReason?: string; delayMs?: number }
  /** An HTTP error in Google's format; 429 carries RetryInfo when retryDelay is set (e.g. "2s"). */
  | { kind: "error"; status: ErrorStatus; retryDelay?: string; delayMs?: number }
  /** The prompt is blocked: no candidates, promptFeedback.blockReason. */
  | { kind: "blocked"; blockReason?: string; delayMs?: number }
  /** Part of a report, then finishReason MAX_TOKENS. */
  | { kind: "maxTokens"; delayMs?: number }
  /** Accept the request and never answer. */
  | { kind: "hang" };

export interface RecordedRequest {
  method: string;
  path: string;
  version: string;
  model: string;
  action: "generateContent" | "streamGenerateContent";
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  systemText: string;
  userText: string;
}

export interface FakeGemini {
  url: string;
  requests: RecordedRequest[];
  /** Script the next calls, in order; when the script is empty the default report is answered. */
  enqueue(...steps: GeminiStep[]): void;
  /** Forget recorded requests and unanswered script steps (between tests). */
  reset(): void;
  close(): Promise<void>;
}

export interface FakeGeminiOptions {
  apiKey?: string;
  models?: string[];
  thoughtsTokens?: number;
}

const partsSchema = z.object({ parts: z.array(z.object({ text: z.string().optional() }).loose()).default([]) }).loose();
const requestSchema = z
  .object({
    systemInstruction: partsSchema.optional(),
    contents: z.array(partsSchema).default([]),
    generationConfig: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

const ROUTE = /^\/(v1beta|v1)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

function googleError(code: number, status: string, message: string, details?: unknown[]) {
  return { error: { code, message, status, ...(details ? { details } : {}) } };
}

type ErrorStatus = 400 | 403 | 404 | 429 | 500 | 503 | 504;

const ERRORS: Record<ErrorStatus, (model: string, version: string, retryDelay?: string) => ReturnType<typeof googleError>> = {
  400: () =>
    googleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
      { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com", metadata: { service: "generativelanguage.googleapis.com" } },
      { "@type": "type.googleapis.com/google.rpc.LocalizedMessage", locale: "en-US", message: "API key not valid. Please pass a valid API key." },
    ]),
  403: () => googleError(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."),
  404: (model, version) =>
    googleError(404, "NOT_FOUND", `models/${model} is not found for API version ${version}, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`),
  429: (_m, _v, retryDelay) =>
    googleError(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.", [
      {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        violations: [{ quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests", quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier" }],
      },
      { "@type": "type.googleapis.com/google.rpc.Help", links: [{ description: "Learn more about Gemini API quotas", url: "https://ai.google.dev/gemini-api/docs/rate-limits" }] },
      ...(retryDelay ? [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay }] : []),
    ]),
  500: () => googleError(500, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"),
  503: () => googleError(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
  504: () => googleError(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
};

function textOf(p: z.infer<typeof partsSchema> | undefined): string {
  return (p?.parts ?? []).map((x) => x.text ?? "").join("");
}

/** Sections of the user text by their "## " heading. */
function sections(userText: string): { title: string; lines: string[] }[] {
  const out: { title: string; lines: string[] }[] = [];
  for (const line of userText.split("\n")) {
    if (line.startsWith("## ") || line.startsWith("# ")) out.push({ title: line.replace(/^#+ /, ""), lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

const ERRORISH = /error|exception|killed|oom|out of memory|fatal|failed|traceback|denied|refused|unauthorized|back-off|backoff/i;

/**
 * The default "model": reads the prompt like a model would and answers a report quoting the error
 * lines it finds there (logs with their line numbers, warning events), in Gemini's output schema.
 */
export function reportFromPrompt(req: RecordedRequest): unknown {
  const secs = sections(req.userText);
  const field = (name: string) => req.userText.match(new RegExp(`^${name}: (\\S+)$`, "m"))?.[1] ?? `<${name}>`;
  const ns = field("namespace");
  const pod = field("pod");
  const container = field("container");
  const quotes: { source: string; line?: number; text: string }[] = [];
  for (const s of secs) {
    const source = /^Previous container logs/.test(s.title) ? "previousLogs" : /^Current container logs/.test(s.title) ? "logs" : /^Events/.test(s.title) ? "events" : undefined;
    if (!source) continue;
    for (const l of s.lines) {
      if (source === "events") {
        const m = l.match(/^Warning \S+ .*?: (.+)$/);
        if (m?.[1]) quotes.push({ source, text: m[1] });
        continue;
      }
      const m = l.match(/^\s*(\d+)\s*[|│:]\s?(.*)$/);
      if (m?.[2] && ERRORISH.test(m[2])) quotes.push({ source, line: Number(m[1]), text: m[2].trim() });
    }
  }
  const order = ["previousLogs", "logs", "events"];
  quotes.sort((a, b) => order.indexOf(a.source) - order.indexOf(b.source));
  const picked = quotes.slice(0, 3);
  const likelihoods = ["high", "medium", "low"];
  return {
    summary: picked[0] ? `The container failed; the clearest sign is: ${picked[0].text}` : "The evidence does not show why the pod failed.",
    hypotheses: picked.length
      ? picked.map((q, i) => ({
          title: `Failure shown in ${q.source}${q.line ? ` line ${q.line}` : ""}`,
          category: "unknown",
          likelihood: likelihoods[i],
          explanation: `The ${q.source} show this error shortly before the pod stopped serving.`,
          evidence: [q],
        }))
      : [{ title: "Not enough evidence", category: "unknown", likelihood: "low", explanation: "No error lines were found.", evidence: [] }],
    impact: `Pod ${ns}/${pod} is not serving model requests.`,
    immediateActions: [
      { step: "Inspect the pod and its events", command: `kubectl -n ${ns} describe pod ${pod}` },
      { step: "Read the crashed container's logs", command: `kubectl -n ${ns} logs ${pod} -c ${container} --previous` },
    ],
    prevention: ["Alert on restarts before users notice."],
    insufficientEvidence: picked.length === 0,
  };
}

function tokens(s: string): number {
  return Math.ceil(s.length / 4);
}

/** Start the fake on 127.0.0.1 and a free port. */
export async function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeGemini> {
  const apiKey = options.apiKey ?? "test-key";
  const models = new Set(options.models ?? ["gemini-3.8-flash", "gemini-3.5-flash", "gemini-2.5-flash"]);
  const thoughts = options.thoughtsTokens ?? 48;
  const script: GeminiStep[] = [];
  const requests: RecordedRequest[] = [];
  let responseSeq = 0;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json; charset=UTF-8" });
    res.end(JSON.stringify(body, null, 2));
  };

  const answer = async (req: RecordedRequest, res: ServerResponse, step: GeminiStep) => {
    if (step.kind === "hang") return;
    if (step.kind === "error") return send(res, step.status, ERRORS[step.status](req.model, req.version, step.retryDelay));

    const promptTokens = tokens(req.systemText + req.userText);
    const responseId = `fake-${++responseSeq}`;
    const usage = (outText: string) => ({
      promptTokenCount: promptTokens,
      candidatesTokenCount: tokens(outText),
      thoughtsTokenCount: thoughts,
      totalTokenCount: promptTokens + tokens(outText) + thoughts,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: promptTokens }],
    });
    let text = "";
    let finishReason: string | undefined = "STOP";
    let pieces = 3;
    if (step.kind === "report") {
      text = JSON.stringify((step.build ?? reportFromPrompt)(req), null, 1);
      pieces = step.chunks ?? 3;
    } else if (step.kind === "text") {
      text = step.text;
      finishReason = step.finishReason ?? "STOP";
    } else if (step.kind === "maxTokens") {
      const full = JSON.stringify(reportFromPrompt(req));
      text = full.slice(0, Math.max(1, Math.floor(full.length / 3)));
      finishReason = "MAX_TOKENS";
    } else {
      finishReason = undefined;
    }

    const chunks: unknown[] = [];
    if (step.kind === "blocked") {
      chunks.push({
        promptFeedback: {
          blockReason: step.blockReason ?? "SAFETY",
          safetyRatings: [
            { category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH", blocked: true },
            { category: "HARM_CATEGORY_HARASSMENT", probability: "NEGLIGIBLE" },
          ],
        },
        usageMetadata: { promptTokenCount: promptTokens, totalTokenCount: promptTokens },
        modelVersion: req.model,
        responseId,
      });
    } else {
      const size = Math.max(1, Math.ceil(text.length / Math.max(1, pieces)));
      for (let i = 0; i < Math.max(1, text.length); i += size) {
        const last = i + size >= text.length;
        chunks.push({
          candidates: [{ content: { parts: [{ text: text.slice(i, i + size) }], role: "model" }, index: 0, ...(last ? { finishReason } : {}) }],
          usageMetadata: last ? usage(text) : { promptTokenCount: promptTokens, totalTokenCount: promptTokens },
          modelVersion: req.model,
          responseId,
        });
      }
    }

    if (req.action === "generateContent") {
      const merged = step.kind === "blocked" ? chunks[0] : {
        candidates: [{ content: { parts: [{ text }], role: "model" }, finishReason, index: 0 }],
        usageMetadata: usage(text),
        modelVersion: req.model,
        responseId,
      };
      return send(res, 200, merged);
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "x-content-type-options": "nosniff" });
    // A slow model: the chunks arrive one by one, chunkDelayMs apart.
    const gap = step.kind === "report" ? (step.chunkDelayMs ?? 0) : 0;
    for (const [i, c] of chunks.entries()) {
      if (gap > 0 && i > 0) await new Promise((r) => setTimeout(r, gap));
      res.write(`data: ${JSON.stringify(c)}\r\n\r\n`);
    }
    res.end();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const m = url.pathname.match(ROUTE);
    const bodyText = await new Promise<string>((resolve, reject) => {
      const parts: Buffer[] = [];
      req.on("data", (d: Buffer) => parts.push(d));
      req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
      req.on("error", reject);
    });
    if (req.method !== "POST" || !m) return send(res, 404, googleError(404, "NOT_FOUND", `The requested URL ${url.pathname} was not found on this server.`));
    let body: unknown;
    try {
      body = JSON.parse(bodyText);
    } catch {
      return send(res, 400, googleError(400, "INVALID_ARGUMENT", "Invalid JSON payload received."));
    }
    const parsed = requestSchema.safeParse(body);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    const rec: RecordedRequest = {
      method: req.method,
      path: url.pathname,
      version: m[1] ?? "",
      model: m[2] ?? "",
      action: m[3] === "generateContent" ? "generateContent" : "streamGenerateContent",
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
      systemText: parsed.success ? textOf(parsed.data.systemInstruction) : "",
      userText: parsed.success ? parsed.data.contents.map(textOf).join("\n") : "",
    };
    requests.push(rec);

    const key = headers["x-goog-api-key"] ?? url.searchParams.get("key") ?? undefined;
    if (key === undefined) return send(res, 403, ERRORS[403]("", ""));
    if (key !== apiKey) return send(res, 400, ERRORS[400]("", ""));
    if (!models.has(rec.model)) return send(res, 404, ERRORS[404](rec.model, rec.version));
    if (rec.action === "streamGenerateContent" && rec.query.alt !== "sse") {
      return send(res, 400, googleError(400, "INVALID_ARGUMENT", "This fake only streams with alt=sse, as @google/genai does."));
    }
    if (!parsed.success) return send(res, 400, googleError(400, "INVALID_ARGUMENT", "Invalid value at 'contents'."));

    const step = script.shift() ?? { kind: "report" };
    const delay = "delayMs" in step ? (step.delayMs ?? 0) : 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    await answer(rec, res, step);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, googleError(500, "INTERNAL", `fake failed: ${String(e)}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("fake Gemini did not get a TCP port");
  const port = addr.port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...steps) => script.push(...steps),
    reset: () => {
      script.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
