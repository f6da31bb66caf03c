import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { z } from "zod";
import { POST as webhook } from "@/app/api/webhooks/alertmanager/route";
import { GET as ready } from "@/app/api/ready/route";
import { GET as metrics } from "@/app/api/metrics/route";
import { WEBHOOK_TOKEN, oomLabels, startTestConsole, type TestConsole } from "@/test/helpers/console";
import { fillDatabase } from "@/test/store/helpers";

// A full disk, for real: SQLite's max_page_count caps the console's own database, so every write
// that needs a new page fails with SQLITE_FULL through the real webhook route and readiness.
let tc: TestConsole;
beforeAll(async () => {
  tc = await startTestConsole({ AUTO_FILE_SEVERITIES: "none", METRICS_BEARER_TOKEN: "metrics-token-0123456789" });
});
afterAll(async () => {
  await tc?.stop();
});

const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), hint: z.string() }) });
const notReadySchema = z.object({ status: z.literal("not ready"), reason: z.string(), hint: z.string() });

let n = 0;
function post() {
  n++;
  const alerts = Array.from({ length: 40 }, (_, i) => ({
    status: "firing",
    labels: oomLabels({ pod: `vllm-${n}-${i}`, note: "x".repeat(2000) }),
    annotations: {},
    startsAt: "2026-11-25T09:00:00Z",
    endsAt: "0001-01-01T00:00:00Z",
    fingerprint: `f${n.toString(16).padStart(4, "0")}${i.toString(16).padStart(4, "0")}`,
  }));
  return tc.callJson(webhook, {
    url: "/api/webhooks/alertmanager",
    headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` },
    body: { version: "4", status: "firing", receiver: "triage", alerts },
    user: false,
  });
}

describe("a full or read-only store", () => {
  it("answers webhooks 503 with the reason, fails readiness, counts the errors, and recovers when there is room", async () => {
    const s = await tc.services();
    expect((await tc.callJson(ready, { url: "/api/ready" })).status).toBe(200);
    expect((await post()).status).toBe(202);

    await fillDatabase(s.store);
    const refused = await post();
    expect(refused.status).toBe(503);
    const body = errorSchema.parse(refused.body);
    expect(body.error.code).toBe("unavailable");
    expect(body.error.message).toMatch(/volume is full/);
    expect(body.error.hint).toMatch(/Free disk space on the volume holding DATABASE_URL or grow it/);

    const r = await tc.callJson(ready, { url: "/api/ready" });
    expect(r.status).toBe(503);
    expect(notReadySchema.parse(r.body).reason).toMatch(/volume is full/);

    const m = await tc.call(metrics, { url: "/api/metrics", headers: { authorization: "Bearer metrics-token-0123456789" }, user: false });
    expect(await m.text()).toMatch(/^triage_store_write_errors_total\{code="SQLITE_FULL"\} [1-9]\d*$/m);

    await sql.raw("pragma max_page_count = 1073741823").execute(s.store.db);
    await tc.waitFor(async () => (await tc.callJson(ready, { url: "/api/ready" })).status === 200, "readiness back after the disk has room", 10_000);
    expect((await post()).status).toBe(202);
  });

  it("answers 503 naming the permissions when the database is read-only", async () => {
    // Tests run as root, where chmod does not stop writes: query_only makes SQLite refuse them (SQLITE_READONLY).
    const s = await tc.services();
    await sql`pragma query_only = 1`.execute(s.store.db);
    try {
      const refused = await post();
      expect(refused.status).toBe(503);
      expect(errorSchema.parse(refused.body).error.hint).toMatch(/writable/);
      const r = await tc.callJson(ready, { url: "/api/ready" });
      expect(r.status).toBe(503);
      expect(notReadySchema.parse(r.body).reason).toMatch(/read-only/);
    } finally {
      await sql`pragma query_only = 0`.execute(s.store.db);
    }
  });
});
