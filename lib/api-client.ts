import { z } from "zod";

/**
 * The browser's one way to call the console's API: `request` reads the answer with the route's own
 * response schema (lib/<domain>/api.ts) and turns every failure into one ApiError that mirrors the
 * server's error JSON (lib/errors AppError.toJSON, sent by lib/server/route). Browser-safe.
 */

/** The error body every route answers with (lib/server/route errorResponse). */
export const apiErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    hint: z.string().optional(),
    retryAfterSeconds: z.number().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ApiErrorBody = z.input<typeof apiErrorBodySchema>;

const API_ERROR = Symbol.for("triage.ApiError");

/** A failed API call: the server's code, message and hint, and the HTTP status (0 when the network failed). */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly hint?: string;
  readonly retryAfterSeconds?: number;

  constructor(code: string, message: string, status: number, options: { hint?: string; retryAfterSeconds?: number } = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.hint = options.hint;
    this.retryAfterSeconds = options.retryAfterSeconds;
    Object.defineProperty(this, API_ERROR, { value: true });
  }
}

/** Whether e is an ApiError (from any copy of this module). */
export function isApiError(e: unknown): e is ApiError {
  return typeof e === "object" && e !== null && API_ERROR in e;
}

/** How to read a successful body: a zod schema, or a function answering undefined for a body it cannot read. */
export type ResponseReader<T> = z.ZodType<T> | ((body: unknown) => T | undefined);

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** A JSON body (sent with Content-Type: application/json); without it the request carries no custom header. */
  json?: unknown;
  signal?: AbortSignal;
}

function read<T>(reader: ResponseReader<T>, body: unknown): T | undefined {
  if (typeof reader === "function") return reader(body);
  const r = reader.safeParse(body);
  return r.success ? r.data : undefined;
}

/**
 * Call the console's API and read the answer with `reader`.
 * @throws ApiError with the server's code, message and hint; `network` when the console cannot be
 * reached, `http_<status>` for an answer without our error JSON (a proxy page), `bad_response` for a
 * body this page cannot read (a page left open across an upgrade).
 */
export async function request<T>(url: string, reader: ResponseReader<T>, options: RequestOptions = {}): Promise<T> {
  const { json, signal } = options;
  const init: RequestInit = { method: options.method ?? (json === undefined ? "GET" : "POST"), signal };
  if (json !== undefined) {
    init.headers = { "content-type": "application/json" };
    init.body = JSON.stringify(json);
  }
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new ApiError("network", "The console could not be reached", 0, { hint: "Check your connection and that the console is running, then retry" });
  }
  const text = await res.text().catch(() => "");
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // A proxy's error page, not our API: reported below with its status.
  }
  if (!res.ok) {
    const e = apiErrorBodySchema.safeParse(body);
    if (e.success) {
      const { code, message, hint, retryAfterSeconds } = e.data.error;
      throw new ApiError(code, message, res.status, { hint, retryAfterSeconds });
    }
    throw new ApiError(`http_${res.status}`, `The console answered HTTP ${res.status}`, res.status, {
      hint: "Reload the page; if it persists, check the console's server log",
    });
  }
  const value = read(reader, body);
  if (value === undefined) {
    throw new ApiError("bad_response", "The console sent an answer this page cannot read", res.status, { hint: "Reload the page to pick up the current version" });
  }
  return value;
}
