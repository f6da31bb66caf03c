import pg from "pg";
import { describe, expect, it } from "vitest";
import { postgresDatabase } from "@/test/helpers/postgres-database";

describe("the run's private PostgreSQL cluster", () => {
  it("gives each caller its own empty database on loopback", async () => {
    const a = await postgresDatabase("a");
    const b = await postgresDatabase("b");
    expect(a).not.toBe(b);
    expect(new URL(a).hostname).toBe("127.0.0.1");
    const client = new pg.Client({ connectionString: a });
    await client.connect();
    try {
      await client.query("create table t (x int)");
      await client.query("insert into t values (1)");
      const { rows } = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
      expect(Number(rows[0]?.v)).toBeGreaterThanOrEqual(150000);
    } finally {
      await client.end();
    }
    const other = new pg.Client({ connectionString: b });
    await other.connect();
    try {
      await expect(other.query("select * from t")).rejects.toThrow(/does not exist/);
    } finally {
      await other.end();
    }
  });
});
