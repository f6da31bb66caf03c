import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ApiError, isApiError, request } from "@/lib/api-client";
import { AppError } from "@/lib/errors";

/** A loopback server answering like the console's routes (lib/server/route errorResponse) or a proxy in front of them. */
let server: Server;
let base = "";
const seen: { method?: string; contentType?: string; body: string }[] = [];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = "";
    req.on("data", (c: Buffer) => (s += c.toString()));
    req.on("end", () => resolve(s));
  });
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    seen.push({ method: req.method, contentType: req.headers["content-type"], body: await readBody(req) });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url === "/ok") return json(200, { id: "a1", joined: false, extra: 1 });
    if (req.url === "/conflict") {
      const e = new AppError("conflict", "Analysis a1 is running; only a finished analysis can be filed.", { hint: "Wait for it to finish, or re-analyze." });
      return json(e.status, { error: e.toJSON() });
    }
    if (req.url === "/limited") return json(429, { error: new AppError("rate_limited", "Too many requests.", { retryAfterSeconds: 30 }).toJSON() });
    if (req.url === "/proxy") {
      res.writeHead(502, { "content-type": "text/html" });
      return res.end("<html><body>Bad gateway</body></html>");
    }
    if (req.url === "/old-shape") return json(200, { id: 7 });
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const started = z.object({ id: z.string(), joined: z.boolean() });

async function failure(p: Promise<unknown>): Promise<ApiError> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isApiError(e)) throw new Error(`expected an ApiError, got ${String(e)}`);
  return e;
}

describe("request", () => {
  it("reads the body with the route's schema; a GET carries no custom header, a JSON body says so", async () => {
    seen.length = 0;
    await expect(request(`${base}/ok`, started)).resolves.toEqual({ id: "a1", joined: false });
    await expect(request(`${base}/ok`, started, { json: { fingerprint: "f" } })).resolves.toEqual({ id: "a1", joined: false });
    expect(seen).toEqual([
      { method: "GET", contentType: undefined, body: "" },
      { method: "POST", contentType: "application/json", body: '{"fingerprint":"f"}' },
    ]);
  });

  it("throws one ApiError mirroring the server's error JSON: code, message, hint and status", async () => {
    const e = await failure(request(`${base}/conflict`, started));
    expect(e).toBeInstanceOf(ApiError);
    expect({ code: e.code, message: e.message, hint: e.hint, status: e.status }).toEqual({
      code: "conflict",
      message: "Analysis a1 is running; only a finished analysis can be filed.",
      hint: "Wait for it to finish, or re-analyze.",
      status: 409,
    });
    const limited = await failure(request(`${base}/limited`, started));
    expect([limited.code, limited.status, limited.retryAfterSeconds]).toEqual(["rate_limited", 429, 30]);
  });

  it("names a proxy's error page, a body of the wrong shape and an unreachable console", async () => {
    const proxy = await failure(request(`${base}/proxy`, started));
    expect([proxy.code, proxy.status, proxy.message]).toEqual(["http_502", 502, "The console answered HTTP 502"]);
    const old = await failure(request(`${base}/old-shape`, started));
    expect([old.code, old.status, old.hint]).toEqual(["bad_response", 200, "Reload the page to pick up the current version"]);
    const reader = await failure(request(`${base}/ok`, () => undefined));
    expect(reader.code).toBe("bad_response");
    const down = await failure(request("http://127.0.0.1:1/x", started));
    expect([down.code, down.status]).toEqual(["network", 0]);
  });
});
