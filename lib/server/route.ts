import "server-only";
import { randomUUID } from "node:crypto";
import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { readBodyCapped } from "@/lib/http/body";
import { AppError, isAppError } from "@/lib/errors";
import { issueInWords } from "@/lib/server/field-words";
import type { ApiErrorBody } from "@/lib/api-client";
import { getLogger } from "@/lib/log";
import { loadConfig } from "@/lib/config";
import { USER_HEADER } from "@/lib/auth/authenticate";
import { createSharedRateLimiter, type SharedRateLimiter } from "@/lib/auth/rate-limit";

export interface RouteContext<P> {
  req: NextRequest;
  params: P;
  requestId: string;
  /** Who is calling: a user id or e-mail, "webhook", or "local" for the loopback demo. */
  user: string;
  log: ReturnType<typeof getLogger>;
}

export interface RouteOptions {
  /** Count this route against the per-user limit for an expensive action (Gemini calls, issue filing, silences). */
  rateLimit?: "analyze" | "file-issue" | "silence" | "feedback";
  /** Routes that authenticate themselves (webhook secret, metrics token) and have no user. */
  public?: boolean;
}

const limiters = new Map<string, SharedRateLimiter>();
function limiter(action: string) {
  let l = limiters.get(action);
  if (!l) {
    l = createSharedRateLimiter(loadConfig().auth.rateLimitPerMinute);
    limiters.set(action, l);
  }
  return l;
}

type Handler<P> = (ctx: RouteContext<P>) => Promise<Response>;

/** A JSON error response with a code from lib/errors and, where useful, a hint on what to do next; the browser reads it as an ApiError (lib/api-client). */
export function errorResponse(e: AppError, requestId?: string): Response {
  const headers: Record<string, string> = {};
  if (e.retryAfterSeconds !== undefined) headers["retry-after"] = String(Math.ceil(e.retryAfterSeconds));
  if (requestId) headers["x-request-id"] = requestId;
  const body: ApiErrorBody = { error: e.toJSON() };
  return NextResponse.json(body, { status: e.status, headers });
}

/**
 * The one wrapper around every route handler: request id, errors mapped from AppError, unknown errors
 * logged and answered with a generic 500 that echoes nothing internal. Every path returns a Response.
 */
export function withRoute<P = Record<string, string>>(handler: Handler<P>, options: RouteOptions = {}) {
  return async (req: NextRequest, segment: { params: Promise<P> }): Promise<Response> => {
    const requestId = req.headers.get("x-request-id")?.slice(0, 64) || randomUUID();
    const log = getLogger().child({ requestId, method: req.method, path: req.nextUrl.pathname });
    try {
      const params = (await segment?.params) ?? ({} as P);
      // proxy.ts authenticates every non-public request and is the only setter of this header.
      const rawUser = req.headers.get(USER_HEADER);
      if (!options.public && !rawUser) {
        throw new AppError("unauthorized", "Sign-in required.", { hint: "The request did not pass the console's authentication." });
      }
      const user = rawUser ? decodeURIComponent(rawUser) : "anonymous";
      if (options.rateLimit) await limiter(options.rateLimit).check(user, options.rateLimit);
      const res = await handler({ req, params, requestId, user, log: log.child({ user }) });
      res.headers.set("x-request-id", requestId);
      return res;
    } catch (e) {
      if (isAppError(e)) {
        if (e.status >= 500) log.warn({ code: e.code, err: e.message }, "request failed");
        return errorResponse(e, requestId);
      }
      log.error({ err: e }, "unhandled error");
      return errorResponse(new AppError("internal", "Internal error; the details are in the server log.", { hint: `Quote request id ${requestId}.` }), requestId);
    }
  };
}

/**
 * Read a JSON body of at most maxBytes and validate it.
 * @throws AppError payload_too_large, bad_request (not JSON) or unprocessable (names the wrong field).
 */
export async function readJson<T extends z.ZodType>(req: Request, schema: T, maxBytes = 1024 * 1024): Promise<z.infer<T>> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw new AppError("payload_too_large", `Body is larger than ${maxBytes} bytes.`);
  return parseJsonText(await readTextLimited(req, maxBytes), schema);
}

/**
 * Parse a JSON text and validate it.
 * @throws AppError bad_request (not JSON) or unprocessable (names the wrong field).
 */
export function parseJsonText<T extends z.ZodType>(text: string, schema: T): z.infer<T> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new AppError("bad_request", "Body is not valid JSON.", { hint: "Send Content-Type: application/json with a JSON object." });
  }
  return parseWith(schema, data);
}

/** Validate data with a schema. @throws AppError unprocessable naming the first wrong field in words (lib/server/field-words). */
export function parseWith<T extends z.ZodType>(schema: T, data: unknown): z.infer<T> {
  const r = schema.safeParse(data);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new AppError("unprocessable", first ? issueInWords(first, data) : "The request has the wrong shape.", {
      details: { issues: r.error.issues.slice(0, 10).map((i) => ({ path: i.path.join("."), message: i.message })) },
    });
  }
  return r.data;
}

/** Read a request body as text, stopping at maxBytes. @throws AppError payload_too_large. */
export async function readTextLimited(req: Request, maxBytes: number): Promise<string> {
  const text = await readBodyCapped(req.body, maxBytes);
  if (text === undefined) throw new AppError("payload_too_large", `Body is larger than ${maxBytes} bytes.`);
  return text;
}

/**
 * A 303 to a path on this console. Relative, because behind a proxy (or on 127.0.0.1) Next's idea of
 * the request URL is not the address the browser used, and CSP form-action 'self' would block it.
 */
export function seeOther(path: string): NextResponse {
  return new NextResponse(null, { status: 303, headers: { location: path } });
}
