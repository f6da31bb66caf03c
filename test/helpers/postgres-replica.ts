import { Kysely, Migrator, PostgresDialect } from "kysely";
import pg from "pg";
import { Store } from "@/lib/store";
import { createLocksTable, migrationProvider } from "@/lib/store/migrations";
import type { Database } from "@/lib/store/schema";

/**
 * One console replica's store on a PostgreSQL database: its own pool (so two calls are two replicas), migrated.
 * Until openStore takes postgres:// URLs, tests build it here the way openStore will: a pg Pool whose
 * clients and idle connections report errors instead of crashing the process (a terminated backend emits
 * 'error' on a checked-out client that has no listener).
 */
export async function openPostgresReplica(url: string, options: { name?: string; now?: () => Date } = {}): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, application_name: options.name ?? "triage-test", max: 10 });
  pool.on("error", () => undefined);
  pool.on("connect", (client) => client.on("error", () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await createLocksTable(db);
  const result = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (result.error) {
    await db.destroy();
    throw result.error;
  }
  return new Store(db, options.now ?? (() => new Date()));
}
