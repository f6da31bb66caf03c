import { AppError } from "@/lib/errors";

/**
 * A per-key sliding-window limiter kept in memory (one console process). Protects the Gemini quota and
 * the issue tracker from one user's runaway clicks or scripts.
 */
export function createRateLimiter(limitPerMinute: number, now: () => number = Date.now) {
  const hits = new Map<string, number[]>();
  return {
    /** @throws AppError rate_limited saying when to try again. */
    check(key: string, action: string): void {
      const t = now();
      const windowStart = t - 60_000;
      const list = (hits.get(key) ?? []).filter((x) => x > windowStart);
      if (list.length >= limitPerMinute) {
        const oldest = list[0] ?? t;
        const retry = Math.max(1, Math.ceil((oldest + 60_000 - t) / 1000));
        hits.set(key, list);
        throw new AppError("rate_limited", `Too many ${action} requests: at most ${limitPerMinute} a minute per user.`, {
          hint: `Try again in ${retry} s.`,
          retryAfterSeconds: retry,
        });
      }
      list.push(t);
      hits.set(key, list);
      if (hits.size > 10_000) for (const k of hits.keys()) if ((hits.get(k)?.at(-1) ?? 0) <= windowStart) hits.delete(k);
    },
  };
}
