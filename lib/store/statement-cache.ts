import type SqliteDatabase from "better-sqlite3";
import type { SqliteDatabase as KyselySqliteDatabase } from "kysely";

/** Distinct statements kept per connection; IN lists of every length make many, so the oldest unused go. */
export const STATEMENT_CACHE_SIZE = 256;

/**
 * better-sqlite3 for Kysely with its prepared statements kept: Kysely prepares every query afresh, and
 * compiling SQL was about a third of a small statement's cost (a job's claim, mark and completion). A
 * cached statement is reused only when idle (Kysely runs one query per connection at a time; a stream
 * still iterating gets a fresh one), and SQLite re-prepares it by itself after a schema change.
 */
export function withStatementCache(db: SqliteDatabase.Database, size = STATEMENT_CACHE_SIZE): KyselySqliteDatabase {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => {
      cache.clear();
      db.close();
    },
    prepare: (sql: string) => {
      const hit = cache.get(sql);
      if (hit && !hit.busy) {
        // Map order is recency order: move the hit to the end.
        cache.delete(sql);
        cache.set(sql, hit);
        return hit;
      }
      const stmt = db.prepare(sql);
      if (hit) return stmt;
      cache.set(sql, stmt);
      if (cache.size > size) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      return stmt;
    },
  };
}
