import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import { AppError } from "@/lib/errors";
import { dialectOf } from "@/lib/store/dialect";
import type { Database } from "@/lib/store/schema";

const WINDOW_MS = 60_000;

function limited(action: string, limitPerMinute: number, retry: number): AppError {
  return new AppError("rate_limited", `Too many ${action} requests: at most ${limitPerMinute} a minute per user.`, {
    hint: `Try again in ${retry} s.`,
    retryAfterSeconds: retry,
  });
}

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
      const windowStart = t - WINDOW_MS;
      const list = (hits.get(key) ?? []).filter((x) => x > windowStart);
      if (list.length >= limitPerMinute) {
        const oldest = list[0] ?? t;
        const retry = Math.max(1, Math.ceil((oldest + WINDOW_MS - t) / 1000));
        hits.set(key, list);
        throw limited(action, limitPerMinute, retry);
      }
      list.push(t);
      hits.set(key, list);
      if (hits.size > 10_000) for (const k of hits.keys()) if ((hits.get(k)?.at(-1) ?? 0) <= windowStart) hits.delete(k);
    },
  };
}

/** Keys are user names or client addresses; a long one is stored as its hash so rows stay small. */
function rowKey(action: string, key: string): string {
  const k = `${action}:${key}`;
  return k.length <= 200 ? k : `${action}:sha256:${createHash("sha256").update(key).digest("hex")}`;
}

/**
 * A limiter every replica on one database shares (the rate_limits table): a counter per key and minute,
 * and the sliding window estimated as this minute's count plus the previous minute's weighted by the part
 * of it still inside the window (as if that minute's requests were spread evenly), so a client cannot
 * burst twice the limit across a minute boundary as with fixed windows.
 * A request costs a primary-key read of the previous minute and one conditional upsert that counts it only
 * while under the limit, so replicas racing on one key never admit more than the limit between them.
 */
export function createStoreRateLimiter(db: Kysely<Database>, limitPerMinute: number, now: () => number = Date.now) {
  let lastCleanup = 0;
  const hitsAt = async (key: string, minute: number) =>
    (await db.selectFrom("rate_limits").select("hits").where("key", "=", key).where("minute", "=", minute).executeTakeFirst())?.hits ?? 0;
  return {
    /** @throws AppError rate_limited saying when to try again; the store's error when it cannot answer. */
    async check(key: string, action: string): Promise<void> {
      const t = now();
      const minute = Math.floor(t / WINDOW_MS);
      const elapsed = (t % WINDOW_MS) / WINDOW_MS;
      const k = rowKey(action, key);
      const previous = await hitsAt(k, minute - 1);
      // Admit while the estimate with this request stays within the limit: hits + 1 <= limit - previous * (1 - elapsed).
      const capacity = Math.floor(limitPerMinute - previous * (1 - elapsed));
      const counted =
        capacity > 0 &&
        (await db
          .insertInto("rate_limits")
          .values({ key: k, minute, hits: 1 })
          .onConflict((oc) =>
            oc
              .columns(["key", "minute"])
              .doUpdateSet((eb) => ({ hits: eb("rate_limits.hits", "+", 1) }))
              .where("rate_limits.hits", "<", capacity),
          )
          .returning("hits")
          .executeTakeFirst()) !== undefined;
      if (t - lastCleanup >= WINDOW_MS) {
        lastCleanup = t;
        void db.deleteFrom("rate_limits").where("minute", "<", minute - 1).execute().catch(() => undefined);
      }
      if (counted) return;
      const current = await hitsAt(k, minute);
      // The estimate falls below the limit when the previous minute's weight has shrunk enough, or, when this
      // minute alone is full, once part of it has slid out of the next minute's window.
      const waitFraction =
        current < limitPerMinute && previous > 0
          ? 1 - (limitPerMinute - current - 1) / previous - elapsed
          : 1 - elapsed + Math.max(0, 1 - (limitPerMinute - 1) / Math.max(current, 1));
      throw limited(action, limitPerMinute, Math.min(60, Math.max(1, Math.ceil((waitFraction * WINDOW_MS) / 1000))));
    },
  };
}

export interface SharedRateLimiter {
  /** @throws AppError rate_limited saying when to try again. */
  check(key: string, action: string): Promise<void>;
}

const g = globalThis as typeof globalThis & { __triageRateLimitDb?: Kysely<Database> };

/**
 * Share the route limiters through this database when it is PostgreSQL (replicas); on SQLite (one
 * replica by construction) they stay in memory, where a write per request would only contend with the
 * webhook's writes for SQLite's one writer. Called once by createServices.
 */
export function registerRateLimitStore(db: Kysely<Database>): void {
  g.__triageRateLimitDb = dialectOf(db) === "postgres" ? db : undefined;
}

/**
 * A limiter for one action that counts in the registered PostgreSQL store when there is one and in
 * memory otherwise, decided at each check (the routes build theirs before the services exist).
 */
export function createSharedRateLimiter(limitPerMinute: number, now: () => number = Date.now): SharedRateLimiter {
  const memory = createRateLimiter(limitPerMinute, now);
  let shared: { db: Kysely<Database>; limiter: ReturnType<typeof createStoreRateLimiter> } | undefined;
  return {
    async check(key, action) {
      const db = g.__triageRateLimitDb;
      if (!db) return memory.check(key, action);
      if (shared?.db !== db) shared = { db, limiter: createStoreRateLimiter(db, limitPerMinute, now) };
      return shared.limiter.check(key, action);
    },
  };
}
