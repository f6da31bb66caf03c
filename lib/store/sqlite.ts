import type BetterSqlite3 from "better-sqlite3";
import type { SqliteDatabase, SqliteStatement } from "kysely";
import { AppError } from "@/lib/errors";
import { getMetrics } from "@/lib/metrics";

/**
 * The one place where SQLite's storage failures become errors a person can act on. better-sqlite3
 * throws SqliteError with an extended result code (SQLITE_FULL, SQLITE_READONLY_DBMOVED,
 * SQLITE_IOERR_WRITE...); the storage ones become AppError("unavailable"), 503, which Alertmanager
 * retries, and are counted in triage_store_write_errors_total{code}. Every other error passes through.
 */
const STORAGE_FAILURES: Record<string, { message: string; hint: string }> = {
  SQLITE_FULL: {
    message: "The database volume is full: the store cannot write.",
    hint: "Free disk space on the volume holding DATABASE_URL or grow it (kubectl -n monitoring patch pvc triage-console-data with a larger spec.resources.requests.storage); lower RETENTION_DAYS or RETENTION_MAX_ANALYSES. Alertmanager retries the webhook.",
  },
  SQLITE_READONLY: {
    message: "The database is read-only: the store cannot write.",
    hint: "Make the DATABASE_URL file and its folder writable by the console's user (10001 in the image) and mount the volume read-write, then restart the console.",
  },
  SQLITE_IOERR: {
    message: "The disk failed while reading or writing the database.",
    hint: "Check the volume holding DATABASE_URL (kubectl describe pvc, the node's kernel log); free space if it is full, then restart the console.",
  },
};

/** The primary result code of a better-sqlite3 error (SQLITE_IOERR_WRITE -> SQLITE_IOERR), or undefined. */
function sqliteCode(e: unknown): string | undefined {
  if (typeof e !== "object" || e === null || !("code" in e) || typeof e.code !== "string") return undefined;
  const m = /^SQLITE_[A-Z]+/.exec(e.code);
  return m?.[0];
}

/** The AppError for a storage failure (full, read-only, I/O error), or undefined for any other error. */
export function storageFailure(e: unknown): AppError | undefined {
  const code = sqliteCode(e);
  const known = code === undefined ? undefined : STORAGE_FAILURES[code];
  if (!code || !known) return undefined;
  return new AppError("unavailable", known.message, { hint: known.hint, cause: e, details: { sqlite: code } });
}


const noRows = { changes: 0, lastInsertRowid: 0 };

/**
 * better-sqlite3 as Kysely's SQLite dialect sees it, with storage failures mapped by storageFailure.
 * onStorageFailure hears of each mapped failure. A ROLLBACK after SQLite already rolled the transaction back itself (it does on SQLITE_FULL and
 * SQLITE_IOERR) is skipped, so the mapped error reaches the caller instead of "no transaction is active".
 */
export function guardedDatabase(
  sqlite: BetterSqlite3.Database,
  onStorageFailure?: (e: AppError) => void,
  /** Where statements come from: a statement cache in production (lib/store/statement-cache.ts). */
  prepare: SqliteDatabase["prepare"] = (text) => sqlite.prepare(text),
): SqliteDatabase {
  function guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      const mapped = storageFailure(e);
      if (!mapped) throw e;
      getMetrics().storeWriteErrors.inc({ code: String(mapped.details?.sqlite) });
      onStorageFailure?.(mapped);
      throw mapped;
    }
  }
  return {
    close: () => sqlite.close(),
    prepare(text: string): SqliteStatement {
      if (/^\s*rollback\s*$/i.test(text) && !sqlite.inTransaction) {
        return { reader: false, all: () => [], run: () => noRows, iterate: () => [][Symbol.iterator]() };
      }
      const stmt = guard(() => prepare(text));
      return {
        reader: stmt.reader,
        all: (params) => guard(() => stmt.all(params)),
        run: (params) => guard(() => stmt.run(params)),
        iterate: (params) => guard(() => stmt.iterate(params)),
      };
    },
  };
}
