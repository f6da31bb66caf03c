import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
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

/** PostgreSQL's lock_not_available: lock_timeout expired while waiting. */
const LOCK_NOT_AVAILABLE = "55P03";

function pgCode(e: unknown): string | undefined {
  return typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined;
}

/**
 * Mutexes shared by every replica on one PostgreSQL database: a transaction-scoped advisory lock keyed by a
 * 64-bit hash of the key, held on a connection reserved for the duration of fn. PostgreSQL queues the
 * waiters and releases the lock at commit, at rollback, or when the holder's connection dies (a killed
 * replica), so there is no lease to renew and no clock to trust. The transaction only takes the lock:
 * fn's own statements run on other connections and commit on their own, before the lock is released.
 * At most `maxHeld` locks are held or awaited at once per instance, so lock holders never take every
 * pooled connection and starve the statements fn itself needs.
 */
export class AdvisoryLocks {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxHeld = 4,
  ) {}

  /**
   * Run fn holding the advisory lock for key.
   * @throws AppError timeout (as LeaseLocks) when another replica holds it longer than waitTimeoutMs; whatever fn throws.
   */
  async withLock<T>(key: string, fn: () => Promise<T>, options: Pick<LockOptions, "waitTimeoutMs"> = {}): Promise<T> {
    const waitTimeoutMs = Math.max(1, Math.trunc(options.waitTimeoutMs ?? DEFAULTS.waitTimeoutMs));
    const deadline = Date.now() + waitTimeoutMs;
    await this.slot(key, deadline, waitTimeoutMs);
    try {
      return await this.db.connection().execute(async (conn) => {
        await sql`begin`.execute(conn);
        let result: T;
        try {
          await sql`select set_config('lock_timeout', ${`${Math.max(1, deadline - Date.now())}ms`}, true)`.execute(conn);
          await sql`select pg_advisory_xact_lock(hashtextextended(${`triage:${key}`}, 0))`.execute(conn);
          result = await fn();
        } catch (e) {
          await sql`rollback`.execute(conn).catch(() => undefined);
          if (pgCode(e) === LOCK_NOT_AVAILABLE) throw timedOut(key, waitTimeoutMs, e);
          throw e;
        }
        // A failed commit means the connection is gone, and the lock with it: fn's work stands.
        await sql`commit`.execute(conn).catch(() => undefined);
        return result;
      });
    } finally {
      this.held--;
      this.waiting.shift()?.();
    }
  }

  private slot(key: string, deadline: number, waitTimeoutMs: number): Promise<void> {
    if (this.held < this.maxHeld) {
      this.held++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        this.held++;
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(wake);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(timedOut(key, waitTimeoutMs));
      }, Math.max(0, deadline - Date.now()));
      this.waiting.push(wake);
    });
  }
}

function timedOut(key: string, waitTimeoutMs: number, cause?: unknown): AppError {
  return new AppError("timeout", `Timed out: another replica has held lock "${key}" for more than ${waitTimeoutMs} ms.`, {
    hint: "Retry shortly. If this repeats, look in pg_locks (locktype = 'advisory') for the holding backend and at what that replica is doing; a dead replica's lock goes with its connection.",
    cause,
  });
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
