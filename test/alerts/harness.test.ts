import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { alertmanagerConfig, startAlertmanager } from "@/test/helpers/alertmanager";

describe("Alertmanager test harness", () => {
  it("writes configurations amtool accepts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "amcfg-"));
    try {
      for (const [i, cfg] of [
        alertmanagerConfig(),
        alertmanagerConfig({ webhook: { url: "http://127.0.0.1:1/hook", bearerToken: 's3"cr3t' } }),
        alertmanagerConfig({ webhook: { url: "http://127.0.0.1:1/hook", basicAuth: { username: "am", password: "pw" } }, groupBy: ["alertname", "namespace"] }),
      ].entries()) {
        const file = join(dir, `c${i}.yml`);
        await writeFile(file, cfg);
        const { stdout } = await promisify(execFile)("amtool", ["check-config", file]);
        expect(stdout).toContain("SUCCESS");
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("delivers a posted alert to the configured webhook with the bearer credentials", async () => {
    const received: Array<{ auth: string | undefined; body: string }> = [];
    let resolveFirst: () => void = () => {};
    const first = new Promise<void>((r) => (resolveFirst = r));
    const hook = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        received.push({ auth: req.headers.authorization, body });
        res.end();
        resolveFirst();
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/am`;
    const am = await startAlertmanager({ webhook: { url, bearerToken: "tok-123" } });
    try {
      await am.postAlerts([{ labels: { alertname: "ModelPodOOMKilled", namespace: "ml", pod: "p-0" } }]);
      await first;
      expect(received[0]?.auth).toBe("Bearer tok-123");
      const payload: unknown = JSON.parse(received[0]?.body ?? "{}");
      expect(payload).toMatchObject({ version: "4", receiver: "triage-bot", status: "firing", alerts: [{ labels: { pod: "p-0" } }] });
    } finally {
      await am.stop();
      hook.closeAllConnections();
      await new Promise((r) => hook.close(r));
    }
  });
});
