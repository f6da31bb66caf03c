import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isConfigError, parseConfig } from "@/lib/config";
import { isAppError, type AppError } from "@/lib/errors";
import { openStore } from "@/lib/store";
import { knownMigrations } from "@/lib/store/migrations";
import { freePort } from "@/test/helpers/alertmanager";
import { startPostgres, type RunningPostgres } from "@/test/helpers/postgres";
import { postgresDatabase } from "@/test/helpers/postgres-database";
import { rawQuery } from "@/test/helpers/store";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!isAppError(e)) throw new Error(`expected an AppError, got ${String(e)}`);
  return e;
}

/** Run SQL as the run cluster's superuser on one database. */
async function asAdmin(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describe("DATABASE_URL", () => {
  it("accepts postgres:// and postgresql://, rejects other schemes without echoing the password, and sizes the pool", () => {
    expect(parseConfig({ DATABASE_URL: "postgres://triage:s3cret@db:5432/triage" }).databaseUrl).toBe("postgres://triage:s3cret@db:5432/triage");
    expect(parseConfig({ DATABASE_URL: "postgresql://triage@db/triage", DATABASE_POOL_SIZE: "4" })).toMatchObject({ databasePoolSize: 4 });
    expect(parseConfig({}).databasePoolSize).toBe(10);
    // Also libpq's keyword form and a URL missing a slash, which are not URLs the redaction can parse.
    for (const bad of ["mysql://triage:s3cret@db/triage", "postgres://triage:s3cret@db:5432/", "host=db user=triage password=s3cret dbname=triage", "postgres:/triage:s3cret@db/triage", "triage:s3cret@db:5432/triage"]) {
      let err: unknown;
      try {
        parseConfig({ DATABASE_URL: bad });
      } catch (e) {
        err = e;
      }
      expect(isConfigError(err)).toBe(true);
      const text = isConfigError(err) ? err.problems.join(" ") : "";
      expect(text).toMatch(/DATABASE_URL/);
      expect(text).toMatch(/postgres:\/\/user:password@host:5432\/database|names no database/);
      expect(text).not.toContain("s3cret");
    }
    expect(() => parseConfig({ DATABASE_POOL_SIZE: "0" })).toThrow(/DATABASE_POOL_SIZE/);
    // A lock holder keeps a connection while its work needs another: one connection cannot file an issue.
    expect(() => parseConfig({ DATABASE_POOL_SIZE: "1" })).toThrow(/DATABASE_POOL_SIZE/);
  });
});

describe("openStore on PostgreSQL", () => {
  it("five replicas opening one fresh database together all start, and each migration runs once", async () => {
    // Unserialised, concurrent CREATE TABLE IF NOT EXISTS collide in pg_type about every other round: four rounds make a miss unlikely.
    for (let round = 0; round < 4; round++) {
      const url = await postgresDatabase("race");
      const stores = await Promise.all(Array.from({ length: 5 }, () => openStore(url)));
      cleanups.push(...stores.map((s) => () => s.close()));
      const rows = await rawQuery<{ name: string; n: number }>({ dialect: "postgres", url, cleanup: () => undefined }, "select name, count(*)::int as n from kysely_migration group by name order by name");
      expect(rows).toEqual(knownMigrations.map((name) => ({ name, n: 1 })));
      // All five work on the one schema.
      const made = await Promise.all(stores.map((s, i) => s.createAnalysis({ fingerprint: `fp${i}`, trigger: "cli" })));
      expect((await stores[0]?.listAnalyses({ limit: 10 }))?.items).toHaveLength(made.length);
    }
  });

  it("keeps PostgreSQL's quirks out of the results: counts as numbers, NUL text stored, prefixes matched exactly, history numbered", async () => {
    const url = await postgresDatabase("quirks");
    const store = await openStore(url);
    cleanups.push(() => store.close());
    const a = await store.createAnalysis({ fingerprint: "fp", trigger: "cli", alertname: "ModelPodOOMKilled" });
    await store.createAnalysis({ fingerprint: "fp2", trigger: "cli", alertname: "modelpodoom" });
    await store.updateAnalysis(a.id, { markdown: "log line with a NUL \u0000 byte", error: "x\u0000y" });
    expect((await store.getAnalysis(a.id))?.markdown).toBe("log line with a NUL \uFFFD byte");
    expect((await store.listAnalyses({ alertname: "ModelPod", match: "prefix" })).items.map((i) => i.id)).toEqual([a.id]);
    expect(await store.jobCounts()).toEqual({ queued: 0, running: 0, done: 0, failed: 0 });
    await store.enqueueJob({ kind: "analyze", dedupKey: "k", payload: {} });
    expect((await store.jobCounts()).queued).toBe(1);
    const added = await store.recordAlertHistory([
      { fingerprint: "fp", startsAt: "2026-12-01T00:00:00Z", status: "firing", labels: { alertname: "A" } },
      { fingerprint: "fp", startsAt: "2026-12-01T00:00:00Z", status: "resolved", endsAt: "2026-12-01T00:05:00Z", labels: { alertname: "A" } },
    ]);
    expect(added).toBe(2);
    expect(await store.recordAlertHistory([{ fingerprint: "fp", startsAt: "2026-12-01T00:00:00Z", status: "firing", labels: {} }])).toBe(0);
    expect((await store.alertHistory("fp")).map((h) => h.status)).toEqual(["resolved", "firing"]);
    const { rows } = await store.db.selectFrom("alert_history").select("seq").orderBy("seq").execute().then((r) => ({ rows: r }));
    expect(rows.map((r) => typeof r.seq)).toEqual(["number", "number"]);
  });

  it("numbers rejected alerts from two replicas at once without a collision", async () => {
    const url = await postgresDatabase("rejected");
    const [a, b] = await Promise.all([openStore(url), openStore(url)]);
    cleanups.push(() => a.close(), () => b.close());
    const batch = (tag: string) => Array.from({ length: 5 }, (_, i) => ({ fingerprint: `${tag}${i}`, labels: { alertname: "X" }, reason: "too big" }));
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).recordRejectedAlerts(batch(`r${i}-`), 1000)));
    expect((await a.listRejectedAlerts(1000)).total).toBe(50);
  });

  it("says the server is unreachable, naming host and what to check, without the password", async () => {
    const port = await freePort();
    const e = await failure(openStore(`postgres://triage:s3cret@127.0.0.1:${port}/triage`, { connectTimeoutMs: 2000 }));
    expect(e.code).toBe("unavailable");
    expect(e.message).toContain(`127.0.0.1:${port}`);
    expect(e.message).toMatch(/not reachable \(ECONNREFUSED\)/);
    expect(e.hint).toMatch(/host and port/);
    expect(`${e.message} ${e.hint}`).not.toContain("s3cret");
    const dns = await failure(openStore("postgres://triage@no-such-host.invalid/triage", { connectTimeoutMs: 2000 }));
    expect(dns.code).toBe("unavailable");
    expect(dns.message).toMatch(/ENOTFOUND|EAI_AGAIN/);
  });

  it("says the database is missing and how to create it", async () => {
    const url = new URL(await postgresDatabase("exists"));
    url.pathname = "/no_such_db";
    const e = await failure(openStore(url.toString()));
    expect(e.code).toBe("not_configured");
    expect(e.message).toBe(`PostgreSQL database "no_such_db" does not exist on ${url.host}.`);
    expect(e.hint).toContain('CREATE DATABASE "no_such_db" OWNER "triage"');
  });

  it("says a TLS mismatch is one, with the sslmode to set (not 'migration failed')", async () => {
    const url = new URL(await postgresDatabase("tls"));
    url.searchParams.set("sslmode", "require"); // the test cluster has no TLS
    const e = await failure(openStore(url.toString()));
    expect(e.code).toBe("not_configured");
    expect(e.message).toMatch(/^The TLS connection to PostgreSQL at 127\.0\.0\.1:\d+ failed: .*SSL/);
    expect(e.hint).toContain("sslmode=disable");
    expect(e.hint).toContain("sslrootcert");
  });

  it("says a role without rights lacks them and gives the GRANT, at migration and on a write", async () => {
    const admin = await postgresDatabase("rights");
    await asAdmin(admin, "do $$ begin if not exists (select from pg_roles where rolname = 'norights') then create role norights login; end if; end $$");
    const asRole = new URL(admin);
    asRole.username = "norights";
    // PostgreSQL 15: nobody but the owner may create in schema public.
    const e = await failure(openStore(asRole.toString()));
    expect(e.code).toBe("not_configured");
    expect(e.message).toMatch(/role "norights" lacks a right .*permission denied for schema public/);
    expect(e.hint).toContain('GRANT CREATE, USAGE ON SCHEMA public TO "norights"');

    // Migrated by the owner, then used by a role that may only read: a write names the GRANT too.
    const owner = await openStore(admin);
    await owner.close();
    await asAdmin(admin, "grant usage on schema public to norights; grant select on all tables in schema public to norights");
    const reader = await openStore(asRole.toString(), { probeCacheMs: 0 });
    cleanups.push(() => reader.close());
    expect((await reader.listAnalyses()).items).toEqual([]);
    const w = await failure(reader.createAnalysis({ fingerprint: "fp", trigger: "cli" }));
    expect(w.code).toBe("not_configured");
    expect(w.hint).toContain("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public");
    const probe = await failure(reader.checkWritable());
    expect(probe.message).toMatch(/permission denied for table health/);
  });
});

describe("a password-authenticated role and a server that goes away", () => {
  let cluster: RunningPostgres;
  beforeAll(async () => {
    cluster = await startPostgres({ hba: ["host all app 127.0.0.1/32 scram-sha-256"] });
    await asAdmin(cluster.url(), "create role app login password 'right-password'");
    await asAdmin(cluster.url(), "create database app owner app");
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("refuses a wrong password with the fix, never printing it, and opens with the right one", async () => {
    const wrong = await failure(openStore(`postgres://app:wrong-password@127.0.0.1:${cluster.port}/app`));
    expect(wrong.code).toBe("not_configured");
    expect(wrong.message).toBe(`PostgreSQL refused the login of role "app" on 127.0.0.1:${cluster.port} (wrong password).`);
    expect(wrong.hint).toMatch(/user and password in DATABASE_URL/);
    expect(JSON.stringify(wrong.toJSON())).not.toContain("wrong-password");
    const store = await openStore(`postgres://app:right-password@127.0.0.1:${cluster.port}/app`, { probeCacheMs: 0, connectTimeoutMs: 2000 });
    cleanups.push(() => store.close());
    await expect(store.checkWritable()).resolves.toBeUndefined();
  });

  it("fails readiness (ping and the write probe) with AppError unavailable while the server is down", async () => {
    const store = await openStore(`postgres://app:right-password@127.0.0.1:${cluster.port}/app`, { probeCacheMs: 0, connectTimeoutMs: 2000 });
    cleanups.push(() => store.close());
    await expect(store.ping()).resolves.toBeUndefined();
    await expect(store.checkWritable()).resolves.toBeUndefined();
    await cluster.stop();
    for (const p of [store.ping(), store.checkWritable()]) {
      const e = await failure(p);
      expect(e.code).toBe("unavailable");
      expect(e.message).toMatch(/not reachable/);
      expect(e.hint).toMatch(/DATABASE_URL/);
    }
  });
});
