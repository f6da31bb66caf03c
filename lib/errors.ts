/** Error codes shared by every layer, and the HTTP status each maps to. */
export const errorStatus = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  upstream: 502,
  not_configured: 503,
  unavailable: 503,
  timeout: 504,
} as const;

export type ErrorCode = keyof typeof errorStatus;

/**
 * Next's production build holds several copies of a module (one per route bundle, one for
 * instrumentation, which builds the shared services), so an error thrown by one copy of a class is not
 * `instanceof` another copy's. Classes that are caught by type carry a brand from the global symbol
 * registry instead, which every copy shares; lint forbids `instanceof` on them.
 */
const APP_ERROR = Symbol.for("triage.AppError");

/** Mark an error instance with a registered brand (non-enumerable: logs and JSON do not show it). */
export function setBrand(e: Error, brand: symbol): void {
  Object.defineProperty(e, brand, { value: true });
}

/** Whether e carries the brand set by setBrand, whichever copy of its class made it. */
export function hasBrand(e: unknown, brand: symbol): e is Error {
  return typeof e === "object" && e !== null && brand in e;
}

/**
 * An error a person can act on: `message` says what went wrong, `hint` says what to do next.
 * Safe to show to users; never put secrets or raw upstream bodies in it.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly retryAfterSeconds?: number;
  readonly details?: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; retryAfterSeconds?: number; details?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.hint = options.hint;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details;
    setBrand(this, APP_ERROR);
  }

  get status(): number {
    return errorStatus[this.code];
  }

  toJSON() {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.retryAfterSeconds !== undefined ? { retryAfterSeconds: this.retryAfterSeconds } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

/** Whether e is an AppError from any bundle's copy of this module: branded, with a code from errorStatus. */
export function isAppError(e: unknown): e is AppError {
  return hasBrand(e, APP_ERROR) && "code" in e && typeof e.code === "string" && Object.hasOwn(errorStatus, e.code);
}

/** A one-line description of any thrown value, for logs and stored error fields. */
export function describeError(e: unknown): string {
  if (isAppError(e)) return e.hint ? `${e.message} (${e.hint})` : e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
