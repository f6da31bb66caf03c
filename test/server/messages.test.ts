import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as listAnalyses, POST as startAnalysis } from "@/app/api/analyses/route";
import { GET as resolvedRoute } from "@/app/api/alerts/resolved/route";
import { startTestConsole, type TestConsole } from "@/test/helpers/console";

// Messages a person can act on: a 422 names the field in words, and the history's filters match a
// prefix and page past 200 rows. Through the real routes and a real SQLite.
let tc: TestConsole;
beforeAll(async () => {
  tc = await startTestConsole({ AUTO_ANALYZE: "false", AUTO_FILE_SEVERITIES: "none" });
});
afterAll(async () => {
  await tc?.stop();
});

async function message(res: Promise<{ status: number; body: unknown }>) {
  const r = await res;
  expect(r.status).toBe(422);
  return (r.body as { error: { message: string } }).error.message;
}

describe("validation errors in words", () => {
  it("names a missing namespace as 'Namespace is missing.', not the schema's path and text", async () => {
    const m = await message(tc.callJson(startAnalysis, { method: "POST", url: "/api/analyses", body: { target: { pod: "cart-0" } } }));
    expect(m).toBe("Namespace is missing.");
  });

  it("says what is wrong with a value in words", async () => {
    expect(await message(tc.callJson(startAnalysis, { method: "POST", url: "/api/analyses", body: { target: { namespace: "Shop!", pod: "cart-0" } } }))).toBe(
      "Namespace is not valid (namespace must be a DNS label).",
    );
    expect(await message(tc.callJson(startAnalysis, { method: "POST", url: "/api/analyses", body: { target: { namespace: "", pod: "cart-0" } } }))).toBe("Namespace is missing.");
    expect(await message(tc.callJson(startAnalysis, { method: "POST", url: "/api/analyses", body: { fingerprint: "x".repeat(200) } }))).toBe(
      "Alert fingerprint is too long (at most 128 characters).",
    );
    expect(await message(tc.callJson(startAnalysis, { method: "POST", url: "/api/analyses", body: { fingerprint: "abc", trigger: "webhook" } }))).toBe(
      "Trigger must be one of: manual, deeplink.",
    );
    expect(await message(tc.callJson(listAnalyses, { url: "/api/analyses?limit=many" }))).toBe("Page size must be a number.");
    expect(await message(tc.callJson(resolvedRoute, { url: "/api/alerts/resolved?hours=0" }))).toBe("Hours must be at least 1.");
  });

  it("keeps the raw paths for programs in the details", async () => {
    const r = await tc.callJson(startAnalysis, { method: "POST", url: "/api/analyses", body: { target: { pod: "cart-0" } } });
    expect(JSON.stringify(r.body)).toContain('"path":"target.namespace"');
  });
});

describe("history filters", () => {
  it("match a prefix of the alert name and namespace when asked to", async () => {
    const s = await tc.services();
    const mk = (alertname: string, namespace: string) =>
      s.store.createAnalysis({ fingerprint: `${alertname}-${namespace}`, trigger: "manual", status: "done", target: { namespace, pod: "p-0" }, alert: { labels: { alertname, namespace, pod: "p-0" }, annotations: {} } });
    await mk("KubePodCrashLooping", "shop-frontend");
    await mk("KubePodNotReady", "shop-backend");
    await mk("NodeDiskFull", "shop-frontend");
    const names = async (q: string) =>
      ((await tc.callJson(listAnalyses, { url: `/api/analyses?${q}` })).body as { analyses: { alertname?: string; target?: { namespace: string } }[] }).analyses
        .map((a) => a.alertname)
        .sort();
    expect(await names("alertname=KubePod&match=prefix")).toEqual(["KubePodCrashLooping", "KubePodNotReady"]);
    expect(await names("namespace=shop-f&match=prefix")).toEqual(["KubePodCrashLooping", "NodeDiskFull"]);
    expect(await names("alertname=KubePod&namespace=shop-b&match=prefix")).toEqual(["KubePodNotReady"]);
    // Exact stays the default for other callers; a prefix is not a LIKE pattern.
    expect(await names("alertname=KubePod")).toEqual([]);
    expect(await names("alertname=Kube%25&match=prefix")).toEqual([]);
  });

  it("page past 200 rows with the cursor, without repeats or gaps", async () => {
    const s = await tc.services();
    const made = new Set<string>();
    for (let i = 0; i < 205; i++) {
      const a = await s.store.createAnalysis({ fingerprint: `page-${i}`, trigger: "manual", status: "done", alert: { labels: { alertname: "PagedAlert", namespace: "paging" }, annotations: {} } });
      made.add(a.id);
    }
    type Page = { analyses: { id: string }[]; nextCursor?: string };
    const first = (await tc.callJson(listAnalyses, { url: "/api/analyses?alertname=Paged&match=prefix&limit=200" })).body as Page;
    expect(first.analyses).toHaveLength(200);
    expect(first.nextCursor).toBeTruthy();
    const second = (await tc.callJson(listAnalyses, { url: `/api/analyses?alertname=Paged&match=prefix&limit=200&cursor=${encodeURIComponent(first.nextCursor ?? "")}` })).body as Page;
    expect(second.analyses).toHaveLength(5);
    expect(second.nextCursor).toBeUndefined();
    expect(new Set([...first.analyses, ...second.analyses].map((a) => a.id))).toEqual(made);
  });
});
