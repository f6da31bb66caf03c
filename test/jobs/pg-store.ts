import pg from "pg";
import { Kysely, Migrator, PostgresDialect } from "kysely";
import { Store } from "@/lib/store";
import { createLocksTable, migrationProvider } from "@/lib/store/migrations";
import type { Database } from "@/lib/store/schema";

/**
 * A Store over PostgreSQL for the job tests, until openStore("postgres://…") (w31) lands: Kysely's
 * PostgresDialect over pg, migrated with the store's own migrations.
 */
export async function openPgStore(url: string): Promise<Store> {
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 8 }) }) });
  await createLocksTable(db);
  const r = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (r.error) throw r.error;
  return new Store(db, () => new Date());
}
