import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "@/lib/store";
import { STORE_DIALECTS, testDatabase } from "@/test/helpers/store";
import { sampleReport } from "@/test/store/helpers";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

describe.each(STORE_DIALECTS)("a search cursor from the URL (%s)", (dialect) => {
  async function store(): Promise<Store> {
    const db = await testDatabase(dialect, "search_cursor");
    const s = await openStore(db.url);
    cleanups.push(db.cleanup, () => s.close());
    const a = await s.createAnalysis({ fingerprint: "fp", trigger: "manual", alertname: "ModelPodOOMKilled" });
    await s.updateAnalysis(a.id, { status: "done", report: sampleReport("OOMKilled by the kernel") });
    return s;
  }

  it("is refused as an invalid cursor (422) when its time or position was edited, never an engine error (500)", async () => {
    const s = await store();
    const first = await s.searchAnalyses({ q: "oomkilled", limit: 1 });
    expect(first.items).toHaveLength(1);
    for (const bad of [
      ["s", "not a time", dialect === "postgres" ? "2026-01-01T00:00:00.000Z|x|1" : 5, 0],
      ["s", "2026-13-45T99:99:99Z", dialect === "postgres" ? "2026-01-01T00:00:00.000Z|x|1" : 5, 0],
    ]) {
      await expect(s.searchAnalyses({ q: "oomkilled", cursor: cursor(bad) })).rejects.toMatchObject({ code: "unprocessable", message: "Invalid cursor." });
    }
  });
});
