import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { e2eState } from "./fixtures";
import { expectRefusal, startConsole } from "./harness";

/**
 * Issue 12 item 2 against the production build: `npm start` (and the image's command) is the one way
 * to start; `node .next/standalone/server.js` without the peer-address preload stays closed whatever a
 * client claims; AUTH_MODE=none on a socket bound beyond loopback, or an unusable database, refuses to
 * start with one line.
 */

const IDENTITY = { "x-auth-request-email": "admin@example.com" };
/** Everything a client could claim about itself, including the headers the preload and proxy.ts set. */
const CLAIMS = {
  ...IDENTITY,
  "x-forwarded-for": "10.0.0.1",
  "x-real-ip": "10.0.0.1",
  "x-triage-peer": "10.0.0.1",
  "x-triage-peer-proto": "http",
  "x-triage-peer-proof": "c2lnbmVkLWJ5LW5vYm9keS1hdC1hbGwtMDEyMzQ1Njc4OQ",
  "x-triage-client": "10.0.0.1",
  "x-triage-user": "admin@example.com",
};

test("node .next/standalone/server.js without the preload stays closed in proxy and none mode", async () => {
  const alertmanager = `e2e=${e2eState().alertmanagerUrl}`;
  const modes: Record<string, string>[] = [
    { AUTH_MODE: "proxy", AUTH_TRUSTED_PROXIES: "10.0.0.1" },
    // Even the trusted address itself, claimed: this is what let a client in before.
    { AUTH_MODE: "proxy", AUTH_TRUSTED_PROXIES: "127.0.0.1" },
    { AUTH_MODE: "none" },
  ];
  for (const env of modes) {
    const app = await startConsole({ ALERTMANAGER_URL: alertmanager, ...env }, { how: "bare" });
    try {
      const claims = env.AUTH_TRUSTED_PROXIES === "127.0.0.1" ? { ...CLAIMS, "x-triage-peer": "127.0.0.1" } : CLAIMS;
      const attempts: Record<string, string>[] = [claims, {}, { "x-triage-peer": "127.0.0.1" }];
      for (const path of ["/api/analyses", "/api/alerts", "/api/jobs", "/"]) {
        for (const headers of attempts) {
          const res = await fetch(`${app.url}${path}`, { headers, redirect: "manual" });
          expect({ env, path, headers, status: res.status }).toEqual({ env, path, headers, status: 401 });
        }
      }
      expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
      expect(app.output()).toContain("Started without scripts/peer-address.mjs");
    } finally {
      await app.stop();
    }
  }
});

test("the image's command and npm start serve the real client", async () => {
  const alertmanager = `e2e=${e2eState().alertmanagerUrl}`;
  for (const how of ["image", "npm-start"] as const) {
    const app = await startConsole({ ALERTMANAGER_URL: alertmanager, AUTH_MODE: "proxy", AUTH_TRUSTED_PROXIES: "127.0.0.1" }, { how });
    try {
      // This test is the trusted proxy: the preload vouches for 127.0.0.1.
      const res = await fetch(`${app.url}/api/analyses`, { headers: IDENTITY });
      expect({ how, status: res.status }).toEqual({ how, status: 200 });
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect((await fetch(`${app.url}/api/analyses`)).status).toBe(401);
      // Static assets are served from the standalone tree (npm start links .next/static into it).
      const page = await (await fetch(`${app.url}/signin`)).text();
      const script = /\/_next\/static\/[^"]+\.js/.exec(page)?.[0];
      expect(script).toBeDefined();
      if (how === "npm-start") expect((await fetch(`${app.url}${script}`)).status).toBe(200);
    } finally {
      await app.stop();
    }
  }
});

test("AUTH_MODE=none refuses to serve from a socket bound beyond loopback, whatever HOST says", async () => {
  // server.js binds HOSTNAME (0.0.0.0 unless set); HOST=127.0.0.1 used to be the only thing checked.
  const { code, output } = await expectRefusal({ AUTH_MODE: "none", HOST: "127.0.0.1", HOSTNAME: "0.0.0.0" }, "image");
  expect(code).toBe(2);
  const lines = output.split("\n").filter((l) => l.startsWith("Refusing to start."));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain("bound to 0.0.0.0");
  expect(lines[0]).toContain("AUTH_MODE");
  // npm start binds HOST, and refuses a non-loopback one before starting the server.
  const viaStart = await expectRefusal({ AUTH_MODE: "none", HOST: "0.0.0.0" }, "npm-start");
  expect(viaStart.code).toBe(2);
  expect(viaStart.output).toContain("Refusing to start.");
});

test("an unusable database ends the process at start with one line naming it", async () => {
  const dir = await mkdtemp(join(tmpdir(), "console-baddb-"));
  try {
    const notADir = join(dir, "file");
    await writeFile(notADir, "x");
    const corrupt = join(dir, "corrupt.sqlite");
    await writeFile(corrupt, "this is not an SQLite database, just text that is long enough to be read as a header. ".repeat(20));
    for (const url of [`file:${join(notADir, "sub", "t.sqlite")}`, `file:${corrupt}`, `file:${dir}`]) {
      const { code, output } = await expectRefusal({ DATABASE_URL: url }, "npm-start");
      expect({ url, code }).toEqual({ url, code: 2 });
      const lines = output.split("\n").filter((l) => l.startsWith("Refusing to start."));
      expect(lines, output).toHaveLength(1);
      expect(lines[0]).toMatch(/database/i);
      expect(lines[0]).toContain("DATABASE_URL");
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
