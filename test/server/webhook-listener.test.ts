import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startWebhookListener, WEBHOOK_PATH } from "@/lib/server/webhook";
import { WEBHOOK_TOKEN, oomLabels, startTestConsole, type TestConsole } from "@/test/helpers/console";

// The dedicated listener (WEBHOOK_LISTEN) answers exactly like the Next route: same function behind both.
let tc: TestConsole;
let server: Server;
let url = "";
beforeAll(async () => {
  tc = await startTestConsole({ AUTO_FILE_SEVERITIES: "none" });
  server = await startWebhookListener(await tc.services(), "127.0.0.1", 0);
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await tc?.stop();
});

const payload = (fingerprint: string) =>
  JSON.stringify({
    version: "4",
    status: "firing",
    receiver: "triage",
    alerts: [{ status: "firing", labels: oomLabels(), annotations: {}, startsAt: "2026-11-25T09:00:00Z", endsAt: "0001-01-01T00:00:00Z", fingerprint }],
  }) + "\n";

async function post(body: string, headers: Record<string, string> = { authorization: `Bearer ${WEBHOOK_TOKEN}` }, path = WEBHOOK_PATH) {
  const res = await fetch(`${url}${path}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("webhook listener", () => {
  it("accepts a valid payload once and deduplicates its redelivery", async () => {
    const first = await post(payload("1157e4e5fee0aaa1"));
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: "accepted", queued: 1 });
    const again = await post(payload("1157e4e5fee0aaa1"));
    expect(again.body).toMatchObject({ queued: 0, duplicates: 1 });
    const s = await tc.services();
    expect((await s.store.listAnalyses({ fingerprint: "1157e4e5fee0aaa1" })).items).toHaveLength(1);
  });

  it("answers bad requests with the 4xx that names the problem", async () => {
    expect((await post(payload("1157e4e5fee0aaa2"), {})).status).toBe(401);
    expect((await post("{not json", { authorization: `Bearer ${WEBHOOK_TOKEN}` })).status).toBe(400);
    const shape = await post(JSON.stringify({ version: "4", status: "firing", alerts: "none" }));
    expect(shape.status).toBe(422);
    expect(JSON.stringify(shape.body)).toContain("alerts");
    // A valid envelope with a bad alert is taken, the alert refused with its reason.
    const partial = await post(JSON.stringify({ version: "4", status: "firing", alerts: [{}] }));
    expect(partial.status).toBe(202);
    expect(partial.body).toMatchObject({ rejected: 1, rejections: [{ index: 0, reason: expect.stringContaining("alerts.0.") }] });
    expect((await post("x".repeat(1024 * 1024 + 10))).status).toBe(413);
    expect((await post(payload("1157e4e5fee0aaa3"), { authorization: `Bearer ${WEBHOOK_TOKEN}` }, "/api/alerts")).status).toBe(404);
  });

  it("answers 413 with a JSON body, not a reset, to a chunked body over 1 MiB without a length", async () => {
    const { port } = server.address() as AddressInfo;
    const answer = await new Promise<{ status: number; connection?: string; body: string }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method: "POST", path: WEBHOOK_PATH, headers: { "content-type": "application/json", authorization: `Bearer ${WEBHOOK_TOKEN}` } }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      });
      req.on("error", reject);
      const chunk = "x".repeat(64 * 1024);
      // 1.5 MiB in 24 chunks, sent as Transfer-Encoding: chunked because no length is declared.
      const write = (n: number) => {
        if (n === 0) return req.end();
        req.write(chunk, () => write(n - 1));
      };
      write(24);
    });
    expect(answer.status).toBe(413);
    expect(answer.connection).toBe("close");
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "payload_too_large", hint: expect.stringContaining("max_alerts") } });
  });
});
