import Database from "better-sqlite3";
import pg from "pg";
import { z } from "zod";

const rowSchema = z.object({ fingerprint: z.string(), status: z.string() });
export type AnalysisRow = z.infer<typeof rowSchema>;

/**
 * Every analysis in a console's store (fingerprint and status), read from the database itself, SQLite
 * (`file:`) or PostgreSQL (`postgres://`): the loss and duplicate audits of the replica tests and bench.
 */
export async function analysisRows(databaseUrl: string): Promise<AnalysisRow[]> {
  if (databaseUrl.startsWith("file:")) {
    // WAL: safe beside the running server.
    const db = new Database(databaseUrl.slice("file:".length), { readonly: true, fileMustExist: true });
    try {
      db.pragma("busy_timeout = 5000");
      return db.prepare("select fingerprint, status from analyses").all().map((r) => rowSchema.parse(r));
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query("select fingerprint, status from analyses")).rows.map((r) => rowSchema.parse(r));
  } finally {
    await client.end();
  }
}
