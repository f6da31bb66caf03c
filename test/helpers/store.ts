import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import pg from "pg";
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from "kysely";
import type { Dialect } from "@/lib/store/dialect";
import { createLocksTable, migrationProvider } from "@/lib/store/migrations";
import type { Database } from "@/lib/store/schema";
import { openStore, type Store, type StoreOptions } from "@/lib/store";
import { postgresDatabase } from "@/test/helpers/postgres-database";

/** Both engines, for describe.each: every store suite runs on SQLite and on the run's PostgreSQL cluster. */
export const STORE_DIALECTS: readonly Dialect[] = ["sqlite", "postgres"];

export interface TestDatabase {
  dialect: Dialect;
  url: string;
  /** SQLite only: the file's path. */
  path?: string;
  cleanup(): void;
}

/** A new empty database: a file in a temp folder (SQLite) or a database of its own in the run's cluster (PostgreSQL). */
export async function testDatabase(dialect: Dialect, prefix = "store"): Promise<TestDatabase> {
  if (dialect === "postgres") return { dialect, url: await postgresDatabase(prefix), cleanup: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), "triage-store-"));
  const path = join(dir, "nested", `${prefix}.sqlite`);
  return { dialect, url: `file:${path}`, path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A store on a new empty database of this engine; close() closes it and removes the database's files. */
export async function openTestStore(dialect: Dialect, options: StoreOptions = {}): Promise<{ store: Store; db: TestDatabase; close(): Promise<void> }> {
  const db = await testDatabase(dialect);
  const store = await openStore(db.url, options);
  return {
    store,
    db,
    async close() {
      await store.close();
      db.cleanup();
    },
  };
}

/** Run SQL on a test database outside the store (a trigger that refuses a row, a raw count). */
export async function rawQuery<R = Record<string, unknown>>(db: TestDatabase, text: string): Promise<R[]> {
  if (db.dialect === "sqlite") {
    const raw = new SqliteDatabase(db.path ?? "");
    try {
      const stmt = raw.prepare(text);
      if (stmt.reader) return stmt.all() as R[];
      stmt.run();
      return [];
    } finally {
      raw.close();
    }
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(text)).rows as R[];
  } finally {
    await client.end();
  }
}

/** Migrate a new test database only up to `last` (inclusive), as an older build would have left it. */
export async function migrateOnlyTo(t: TestDatabase, last: string): Promise<void> {
  const db = new Kysely<Database>({
    dialect:
      t.dialect === "sqlite"
        ? new SqliteDialect({ database: () => (mkdirSync(dirname(t.path ?? ""), { recursive: true }), Promise.resolve(new SqliteDatabase(t.path ?? ""))) })
        : new PostgresDialect({ pool: new pg.Pool({ connectionString: t.url, max: 1 }) }),
  });
  try {
    await createLocksTable(db);
    const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo(last);
    if (error) throw error;
  } finally {
    await db.destroy();
  }
}
