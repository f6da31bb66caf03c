import { PostgresAdapter, type Kysely } from "kysely";

/** The two engines the store runs on: SQLite (embedded, one replica, the demo) and PostgreSQL (replicas). */
export type Dialect = "sqlite" | "postgres";

/** Which engine a Kysely instance talks to, for the few statements (migrations, full-text search) that differ. */
export function dialectOf(db: Pick<Kysely<unknown>, "getExecutor">): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? "postgres" : "sqlite";
}
