import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

/**
 * A new empty database in the run's private PostgreSQL cluster (test/global-setup.ts); returns its URL.
 * Each suite (or each test) takes its own, so they never see each other's rows.
 */
export async function postgresDatabase(prefix = "t"): Promise<string> {
  const admin = inject("postgresUrl");
  const name = `${prefix.replace(/[^a-z0-9_]/gi, "_").toLowerCase().slice(0, 40)}_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}
