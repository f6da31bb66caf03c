import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "@/lib/store";
import { STORE_DIALECTS, testDatabase } from "@/test/helpers/store";
import { sampleReport } from "@/test/store/helpers";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.each(STORE_DIALECTS)("a report quoting a log line with a NUL byte (%s)", (dialect) => {
  it("is stored, read back as it was, and found by the search", async () => {
    const db = await testDatabase(dialect, "report_nul");
    const store = await openStore(db.url);
    cleanups.push(db.cleanup, () => store.close());
    const a = await store.createAnalysis({ fingerprint: "fp-nul", trigger: "manual", alertname: "ModelPodCrashLooping" });
    // Container logs carry binary garbage; JSON.stringify writes the NUL as the escape \u0000.
    const base = sampleReport("Tokenizer file truncated");
    const report = {
      ...base,
      summary: "A literal \\u0000 in text, and a real \u0000 NUL",
      hypotheses: base.hypotheses.map((h, i) => (i === 0 ? { ...h, evidence: [{ source: "logs" as const, line: 7, text: "safetensors header corrupt\u0000\u0000 at offset 42", verified: true }] } : h)),
    };
    await store.updateAnalysis(a.id, { status: "done", report });
    expect((await store.getAnalysis(a.id))?.report).toEqual(report);
    expect((await store.searchAnalyses({ q: "safetensors corrupt" })).items.map((i) => i.id)).toEqual([a.id]);
  });
});
