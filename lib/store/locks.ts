import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { AppError } from "@/lib/errors";
import type { Database } from "@/lib/store/schema";

export interface LockOptions {
  /** How long a lease lasts without renewal; a holder that dies releases it after this. */
  ttlMs?: number;
  /** Give up waiting after this long. */
  waitTimeoutMs?: number;
  /** Base polling interval while another process holds the lock (jittered). */
  pollMs?: number;
}

const DEFAULTS = { ttlMs: 30_000, waitTimeoutMs: 120_000, pollMs: 25 };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Lease-based mutexes in the `locks` table, shared by every process that opens the same database.
 * Each operation is one statement, so no write transaction is ever held across an await (with SQLite
 * that would block every other connection in the process on busy_timeout).
 */
export class LeaseLocks {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date,
  ) {}

  /** Take the lock if it is free, expired, or already ours; true when we hold it afterwards. */
  async tryAcquire(key: string, owner: string, ttlMs = DEFAULTS.ttlMs): Promise<boolean> {
    const t = this.now();
    const expiresAt = new Date(t.getTime() + ttlMs).toISOString();
    const row = await this.db
      .insertInto("locks")
      .values({ key, owner, expires_at: expiresAt })
      .onConflict((oc) =>
        oc
          .column("key")
          .doUpdateSet({ owner, expires_at: expiresAt })
          .where((eb) => eb.or([eb("locks.expires_at", "<", t.toISOString()), eb("locks.owner", "=", owner)])),
      )
      .returning("owner")
      .executeTakeFirst();
    return row?.owner === owner;
  }

  /** Extend our lease; false when it expired and someone else took it. */
  async renew(key: string, owner: string, ttlMs = DEFAULTS.ttlMs): Promise<boolean> {
    const r = await this.db
      .updateTable("locks")
      .set({ expires_at: new Date(this.now().getTime() + ttlMs).toISOString() })
      .where("key", "=", key)
      .where("owner", "=", owner)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Give the lock up (a no-op when we no longer hold it). */
  async release(key: string, owner: string): Promise<void> {
    await this.db.deleteFrom("locks").where("key", "=", key).where("owner", "=", owner).execute();
  }

  /**
   * Wait for the lock, polling with jitter so waiting processes do not move in lockstep.
   * @throws AppError timeout when it stays taken for waitTimeoutMs.
   */
  async acquire(key: string, owner: string, options: LockOptions = {}): Promise<void> {
    const { ttlMs, waitTimeoutMs, pollMs } = { ...DEFAULTS, ...options };
    const deadline = Date.now() + waitTimeoutMs;
    for (;;) {
      if (await this.tryAcquire(key, owner, ttlMs)) return;
      if (Date.now() >= deadline) {
        throw new AppError("timeout", `Timed out after ${waitTimeoutMs} ms waiting for lock "${key}".`, {
          hint: "Another process holds it; retry shortly. If this repeats, look for a stuck worker (its lease expires on its own).",
        });
      }
      await sleep(pollMs * (0.5 + Math.random()));
    }
  }

  /**
   * Run fn holding the lock, renewing the lease while it runs.
   * @throws AppError timeout when the lock cannot be taken; whatever fn throws.
   */
  async withLock<T>(key: string, fn: () => Promise<T>, options: LockOptions = {}, onLost?: () => void): Promise<T> {
    const ttlMs = options.ttlMs ?? DEFAULTS.ttlMs;
    const owner = randomUUID();
    await this.acquire(key, owner, options);
    const timer = setInterval(() => {
      this.renew(key, owner, ttlMs).then(
        (held) => {
          if (!held) onLost?.();
        },
        () => onLost?.(),
      );
    }, Math.max(10, Math.floor(ttlMs / 3)));
    try {
      return await fn();
    } finally {
      clearInterval(timer);
      await this.release(key, owner);
    }
  }
}

/**
 * In-process serialisation per key: a promise chain, so many callers in one process queue up in
 * memory instead of all polling the locks table.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Run fn after every earlier fn for the same key has settled. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running (for tests and diagnostics). */
  size(): number {
    return this.tails.size;
  }
}
