import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "@/cli/main";
import { resetConfigForTests } from "@/lib/config";
import { openStore, type Store } from "@/lib/store";
import { replaceEnv } from "@/test/helpers/console";

const saved = { ...process.env };
let dir = "";
let store: Store;
let dbPath = "";

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), stdin: async () => "" } };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "triage-backup-"));
  dbPath = join(dir, "data", "triage.sqlite");
  replaceEnv({ ...saved, DATABASE_URL: `file:${dbPath}` });
  resetConfigForTests();
  store = await openStore(`file:${dbPath}`);
  // Enough rows (with evidence-sized payloads) that the copy takes many steps.
  for (let i = 0; i < 300; i++) {
    await store.createAnalysis({ fingerprint: `seed-${i}`, trigger: "webhook", alert: { labels: { pad: "x".repeat(4000) }, annotations: {} } });
  }
});
afterAll(async () => {
  await store?.close();
  replaceEnv(saved);
  resetConfigForTests();
  rmSync(dir, { recursive: true, force: true });
});

const count = (path: string) => {
  const db = new SqliteDatabase(path, { readonly: true });
  try {
    return {
      integrity: String(db.pragma("integrity_check", { simple: true })),
      analyses: Number(db.prepare("select count(*) from analyses").pluck().get()),
      journal: String(db.pragma("journal_mode", { simple: true })),
    };
  } finally {
    db.close();
  }
};

describe("triage backup", () => {
  it("copies the database while the console writes to it: a consistent, intact copy", async () => {
    // The writer: the console's own store, on the same file, writing between the copy's steps.
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await store.createAnalysis({ fingerprint: `live-${written}`, trigger: "webhook", alert: { labels: { pad: "y".repeat(4000) }, annotations: {} } });
        written++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const before = (await store.listAnalyses({ limit: 500 })).items.length;
    const dest = join(dir, "backup-1.sqlite");
    const r = io();
    const code = await main(["backup", dest], r.io);
    writing = false;
    await writer;
    expect(r.err.join("")).not.toMatch(/triage backup:/);
    expect(code).toBe(0);
    expect(written).toBeGreaterThan(0);

    const copy = count(dest);
    expect(copy.integrity).toBe("ok");
    // A single self-contained file (no -wal beside it) holding a snapshot between the start and the end.
    expect(copy.journal).toBe("delete");
    expect(copy.analyses).toBeGreaterThanOrEqual(Math.min(before, 300));
    expect(copy.analyses).toBeLessThanOrEqual(300 + written);
    expect(r.out.join("")).toMatch(new RegExp(`^Backed up file:.+ to ${dest}: \\d+ pages, [\\d.]+ MiB, ${copy.analyses} analyses, integrity ok\\.\\n$`));
    expect(r.err.join("")).toMatch(/backup: \d+\/\d+ pages/);

    // The copy opens as a store (migrations already applied) and reads back.
    const restored = await openStore(`file:${dest}`);
    expect((await restored.listAnalyses({ fingerprint: "seed-0" })).items).toHaveLength(1);
    await restored.close();
  });

  it("refuses to overwrite an existing file without --force, and replaces it with --force", async () => {
    const dest = join(dir, "backup-2.sqlite");
    writeFileSync(dest, "not a database");
    const refused = io();
    expect(await main(["backup", dest], refused.io)).toBe(2);
    expect(refused.err.join("")).toMatch(/backup-2\.sqlite already exists; refusing to overwrite it\. \(Choose a new file name, or pass --force to replace it\.\)/);

    const forced = io();
    expect(await main(["backup", dest, "--force"], forced.io)).toBe(0);
    expect(count(dest).integrity).toBe("ok");
    expect(existsSync(`${dest}.partial-${process.pid}`)).toBe(false);
  });

  it("says what is wrong with the arguments or the destination", async () => {
    const none = io();
    expect(await main(["backup"], none.io)).toBe(2);
    expect(none.err.join("")).toMatch(/expected <dest>, got nothing\. Usage: triage backup <dest>/);

    const folder = io();
    expect(await main(["backup", join(dir, "no-such-folder", "b.sqlite")], folder.io)).toBe(2);
    expect(folder.err.join("")).toMatch(/no-such-folder does not exist/);

    const self = io();
    expect(await main(["backup", dbPath], self.io)).toBe(2);
    expect(self.err.join("")).toMatch(/is the database itself/);
  });
});
