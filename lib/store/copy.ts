import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sql, type Kysely } from "kysely";
import { AppError } from "@/lib/errors";
import { parseDatabaseUrl, redactDatabaseUrl } from "@/lib/store/database-url";
import type { Database } from "@/lib/store/schema";
import { openStore, type Store } from "@/lib/store/store";

/**
 * Move a console's history from one database to another (an existing SQLite file to the PostgreSQL of
 * a replicated install): analyses with their feedback and issues, the audit log, alert history, rejected alerts and
 * session revocations. Jobs stay behind: a finished job has nothing to say, and a queued one belongs to
 * the queue of the engine it was queued on. Both sides are opened as the console opens them, so each is
 * migrated to this build's schema and a side a newer build migrated is refused. Every row goes in with
 * "on conflict do nothing", so a second run (or a run after an interrupted one) adds only what is missing.
 */

/** One table's copy: rows in the source, and how many of them the target did not have yet. */
export interface TableCopy {
  table: CopiedTable;
  read: number;
  added: number;
}

type CopiedTable = "analyses" | "feedback" | "issues" | "audit" | "alert_history" | "rejected_alerts" | "revoked_sessions";

/** Each table, its keyset column (the source is read in that order) and the target's uniqueness to skip on. */
const TABLES: readonly { table: CopiedTable; key: string; conflict: readonly string[]; omit?: string }[] = [
  { table: "analyses", key: "id", conflict: ["id"] },
  // The engineers' verdicts and fixes (accuracy, "what fixed it" in similar incidents): every submission, its latest flag with it.
  { table: "feedback", key: "id", conflict: ["id"] },
  { table: "issues", key: "fingerprint", conflict: ["fingerprint"] },
  { table: "audit", key: "id", conflict: ["id"] },
  // The target numbers history itself (its own sequence); the episode key says what is already there.
  { table: "alert_history", key: "seq", conflict: ["fingerprint", "starts_at", "status"], omit: "seq" },
  { table: "rejected_alerts", key: "seq", conflict: ["seq"] },
  { table: "revoked_sessions", key: "sid", conflict: ["sid"] },
];

/** Rows per insert: analyses have 37 columns, so 100 rows stay far below PostgreSQL's 65,535 parameters. */
const BATCH = 100;

type Row = Record<string, unknown>;

function sqliteFile(url: string): string | undefined {
  const parsed = parseDatabaseUrl(url);
  if (parsed?.engine !== "sqlite" || url === ":memory:") return undefined;
  return url.startsWith("file://") ? fileURLToPath(url) : url.slice("file:".length);
}

/**
 * Copy the history from `from` to `to`, table by table in batches; onTable hears each table's counts.
 * @throws AppError bad_request when the two are the same or the source is missing; whatever openStore
 * throws for either side (a newer schema, an unreachable server, missing rights).
 */
export async function copyDatabase(from: string, to: string, options: { onTable?: (c: TableCopy) => void } = {}): Promise<TableCopy[]> {
  if (from === to) throw new AppError("bad_request", "--from and --to name the same database.", { hint: "Copy from the SQLite file to the new PostgreSQL database." });
  for (const [flag, url] of [["--from", from], ["--to", to]] as const) {
    if (!parseDatabaseUrl(url) || url === ":memory:") {
      throw new AppError("bad_request", `${flag} ${redactDatabaseUrl(url)} is not a database URL.`, { hint: "Use file:<path> for SQLite or postgres://user:password@host:5432/database." });
    }
  }
  const file = sqliteFile(from);
  if (file !== undefined && !existsSync(file)) {
    throw new AppError("not_found", `There is no SQLite database at ${file}.`, { hint: "Point --from at the console's existing file, e.g. file:./data/triage.sqlite (the DATABASE_URL it ran with)." });
  }
  const source = await openStore(from);
  let target: Store;
  try {
    target = await openStore(to);
  } catch (e) {
    await source.close();
    throw e;
  }
  try {
    const out: TableCopy[] = [];
    for (const t of TABLES) {
      const c = await copyTable(source.db, target.db, t);
      out.push(c);
      options.onTable?.(c);
    }
    return out;
  } finally {
    await Promise.allSettled([source.close(), target.close()]);
  }
}

async function copyTable(from: Kysely<Database>, to: Kysely<Database>, t: (typeof TABLES)[number]): Promise<TableCopy> {
  let read = 0;
  let added = 0;
  let after: unknown;
  for (;;) {
    const where = after === undefined ? sql`` : sql`where ${sql.ref(t.key)} > ${after}`;
    const { rows } = await sql<Row>`select * from ${sql.table(t.table)} ${where} order by ${sql.ref(t.key)} limit ${BATCH}`.execute(from);
    const last = rows[rows.length - 1];
    if (!last) break;
    read += rows.length;
    after = last[t.key];
    const values = rows.map((r) => {
      if (!t.omit) return r;
      const { [t.omit]: _omitted, ...rest } = r;
      return rest;
    });
    const r = await to
      .insertInto(t.table)
      .values(values as never)
      .onConflict((oc) => oc.columns(t.conflict as never).doNothing())
      .executeTakeFirst();
    added += Number(r.numInsertedOrUpdatedRows ?? 0);
    if (rows.length < BATCH) break;
  }
  return { table: t.table, read, added };
}
