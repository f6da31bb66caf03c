import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import type { Report } from "@/lib/analysis/types";
import type { Store } from "@/lib/store";

/** A fresh temp folder and a database URL inside it; call cleanup() in afterEach. */
export function tempDb(name = "store.sqlite") {
  const dir = mkdtempSync(join(tmpdir(), "triage-store-"));
  const path = join(dir, "nested", name);
  return { dir, path, url: `file:${path}`, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A clock tests can move. */
export function manualClock(start = "2026-03-01T10:00:00.000Z") {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

export function sampleReport(title: string, overrides: Partial<Report> = {}): Report {
  return {
    source: "gemini",
    model: "gemini-3.8-flash",
    summary: `Summary for ${title}`,
    hypotheses: [
      { title, likelihood: "high", explanation: "", evidence: [{ source: "logs", line: 3, text: "OOMKilled", verified: true }] },
      { title: "Second", likelihood: "low", explanation: "", evidence: [] },
    ],
    impact: "Inference requests fail.",
    immediateActions: [{ step: "Raise the memory limit", command: "kubectl -n ml set resources deploy/x --limits=memory=4Gi" }],
    prevention: ["Load-test new model versions"],
    insufficientEvidence: false,
    usage: { inputTokens: 1200, outputTokens: 340 },
    durationMs: 2345,
    generatedAt: "2026-03-01T10:00:05.000Z",
    ...overrides,
  };
}

/** Cap the database at its current size (SQLite's max_page_count) and use up its free pages: the disk is "full". */
export async function fillDatabase(store: Store): Promise<void> {
  const pages = await sql<{ page_count: number }>`pragma page_count`.execute(store.db);
  await sql.raw(`pragma max_page_count = ${pages.rows[0]?.page_count ?? 1}`).execute(store.db);
  for (let i = 0; i < 10_000; i++) {
    try {
      await store.addAudit("filler", "fill", `filler-${i}`, { pad: "x".repeat(2000) });
    } catch {
      return;
    }
  }
  throw new Error("the database never filled up");
}
