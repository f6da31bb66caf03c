import { afterEach, describe, expect, it } from "vitest";
import SqliteDatabase from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect, sql } from "kysely";
import { isAppError } from "@/lib/errors";
import { getMetrics } from "@/lib/metrics";
import { openStore } from "@/lib/store";
import { knownMigrations, migrationProvider } from "@/lib/store/migrations";
import { fillDatabase, tempDb } from "./helpers";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fresh() {
  const t = tempDb();
  const store = await openStore(t.url, { probeCacheMs: 0 });
  cleanups.push(t.cleanup, () => store.close());
  return { store, t };
}

const writeErrors = async (code: string) => (await getMetrics().storeWriteErrors.get()).values.find((v) => v.labels.code === code)?.value ?? 0;

describe("storage failures", () => {
  it("a full database is AppError unavailable with the disk hint, counted, inside and outside transactions", async () => {
    const { store } = await fresh();
    await expect(store.checkWritable()).resolves.toBeUndefined();
    const before = await writeErrors("SQLITE_FULL");
    await fillDatabase(store);

    const single = await store.createAnalysis({ fingerprint: "fp", trigger: "webhook", alert: { labels: { pad: "y".repeat(8000) }, annotations: {} } }).catch((e: unknown) => e);
    expect(isAppError(single) && single.code).toBe("unavailable");
    expect(isAppError(single) && single.status).toBe(503);
    expect(isAppError(single) && single.hint).toMatch(/Free disk space.*grow it/);
    expect(isAppError(single) && single.details).toEqual({ sqlite: "SQLITE_FULL" });

    // SQLite rolls the transaction back itself on SQLITE_FULL; the mapped error, not "no transaction is active", comes out.
    const items = Array.from({ length: 20 }, (_, i) => ({
      job: { kind: "analyze" as const, dedupKey: `k${i}`, payload: { pad: "z".repeat(4000) } },
      analysis: { id: crypto.randomUUID(), fingerprint: `f${i}`, trigger: "webhook" as const },
    }));
    const batch = await store.enqueueAnalyses(items).catch((e: unknown) => e);
    expect(isAppError(batch) && batch.code).toBe("unavailable");

    const probe = await store.checkWritable().catch((e: unknown) => e);
    expect(isAppError(probe) && probe.message).toMatch(/volume is full/);
    expect(await writeErrors("SQLITE_FULL")).toBeGreaterThanOrEqual(before + 3);
    // Reads still work; so do writes again once there is room.
    expect((await store.listAnalyses()).items).toEqual([]);
    await sql.raw("pragma max_page_count = 1073741823").execute(store.db);
    await expect(store.checkWritable()).resolves.toBeUndefined();
  });

  it("a read-only database is AppError unavailable naming the permissions", async () => {
    // Tests run as root, where chmod does not stop writes: query_only makes SQLite refuse them the same way.
    const { store } = await fresh();
    await sql`pragma query_only = 1`.execute(store.db);
    const e = await store.createAnalysis({ fingerprint: "fp", trigger: "webhook" }).catch((x: unknown) => x);
    expect(isAppError(e) && e.code).toBe("unavailable");
    expect(isAppError(e) && e.details).toEqual({ sqlite: "SQLITE_READONLY" });
    expect(isAppError(e) && e.hint).toMatch(/writable/);
    await expect(store.checkWritable()).rejects.toThrow(/read-only/);
  });

  it("other SQLite errors pass through unchanged", async () => {
    const { store } = await fresh();
    const e = await sql`select * from no_such_table`.execute(store.db).catch((x: unknown) => x);
    expect(isAppError(e)).toBe(false);
    expect(String(e)).toMatch(/no such table/);
  });
});

describe("schema versions", () => {
  it("refuses to start on a database a newer build migrated, naming the migration and the way out", async () => {
    const { store, t } = await fresh();
    await store.createAnalysis({ fingerprint: "kept", trigger: "cli" });
    await store.close();
    const raw = new SqliteDatabase(t.path);
    raw.prepare("insert into kysely_migration (name, timestamp) values (?, ?)").run("2027_03_009_newer_feature", "2027-03-01T00:00:00.000Z");
    raw.close();

    const e = await openStore(t.url).catch((x: unknown) => x);
    expect(isAppError(e) && e.code).toBe("not_configured");
    expect(isAppError(e) && e.message).toContain("2027_03_009_newer_feature (applied 2027-03-01T00:00:00.000Z)");
    expect(isAppError(e) && e.hint).toMatch(/Roll forward to the image that applied 2027_03_009_newer_feature, or restore the backup taken before the upgrade/);
    expect(isAppError(e) && e.hint).toContain(knownMigrations[knownMigrations.length - 1]);

    // Nothing was changed: the newer build still finds its data and its migration.
    const check = new SqliteDatabase(t.path, { readonly: true });
    expect(check.prepare("select count(*) from analyses").pluck().get()).toBe(1);
    expect(check.prepare("select count(*) from kysely_migration").pluck().get()).toBe(knownMigrations.length + 1);
    check.close();
  });

  it("upgrades an older database forward at start", async () => {
    const t = tempDb();
    cleanups.push(t.cleanup);
    const first = await openStore(t.url);
    await first.createAnalysis({ fingerprint: "old", trigger: "cli" });
    await first.close();
    // As an older build left it: without the migrations from 006 on (each undone by its own down()).
    const raw = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SqliteDatabase(t.path) }) });
    const down = await new Migrator({ db: raw, provider: migrationProvider }).migrateTo("2026_12_005_revoked_sessions");
    await raw.destroy();
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => r.migrationName)).toContain("2026_12_006_lifecycle");
    const again = await openStore(t.url, { probeCacheMs: 0 });
    cleanups.push(() => again.close());
    await expect(again.checkWritable()).resolves.toBeUndefined();
    expect((await again.listAnalyses()).items.map((a) => a.fingerprint)).toEqual(["old"]);
    expect(await again.recordAlertHistory([{ fingerprint: "old", startsAt: "2026-12-01T00:00:00Z", status: "firing", labels: {} }])).toBe(1);
  });
});
