import { describeError, isAppError, type ErrorCode } from "@/lib/errors";
import type { WorkerLogger } from "@/lib/jobs/worker";

/**
 * What both job engines (the store's worker on SQLite, pg-boss on PostgreSQL) decide the same way: which
 * failures another attempt cannot fix, when the next attempt may come, and how their periodic chores run.
 */

/** Errors that another attempt cannot fix: fail at once and let a person retry after fixing the cause. */
const PERMANENT: ReadonlySet<ErrorCode> = new Set(["bad_request", "unprocessable", "not_found", "unauthorized", "forbidden", "not_configured"]);

/** How a handler's failure is recorded: permanent (no retry), and the delay a rate limit asked for (Gemini's Retry-After). */
export function failurePolicy(error: unknown): { permanent: boolean; retryInMs?: number } {
  if (!isAppError(error)) return { permanent: false };
  const retryInMs = error.retryAfterSeconds !== undefined ? Math.max(0, error.retryAfterSeconds * 1000) : undefined;
  return { permanent: PERMANENT.has(error.code), ...(retryInMs !== undefined ? { retryInMs } : {}) };
}

/**
 * Run fn every ms (an unref'd timer), skipping a tick while the previous run is still going; a failure is
 * logged with what it was doing and tried again at the next tick.
 */
export function everyUnlessBusy(ms: number, what: string, fn: () => Promise<void>, log: Pick<WorkerLogger, "error">, context: object = {}): NodeJS.Timeout {
  let busy = false;
  const t = setInterval(() => {
    if (busy) return;
    busy = true;
    fn()
      .catch((e: unknown) => log.error({ err: describeError(e), ...context }, `${what} failed; trying again in ${ms} ms`))
      .finally(() => (busy = false));
  }, ms);
  t.unref();
  return t;
}
