/**
 * The console's server process for the shutdown tests, without a production build: an HTTP server that
 * handles SIGTERM and SIGINT as Next's start-server.js does (registered before register(): close the
 * server, wait for open requests, exit 143), then the real instrumentation hook (services, worker,
 * WEBHOOK_LISTEN listener, signal handling), serving the real progress-stream and webhook route handlers
 * with the user header proxy.ts would set. Prints "ready <port>" once it serves.
 * Usage: node --conditions=react-server --import tsx test/server/shutdown-child.ts (environment: the
 * console's, plus PORT and NEXT_RUNTIME=nodejs)
 */
import { createServer } from "node:http";
import { Readable } from "node:stream";
import { NextRequest } from "next/server";
import { USER_HEADER } from "@/lib/auth/authenticate";
import { register } from "@/instrumentation";
import * as events from "@/app/api/analyses/[id]/events/route";
import * as webhook from "@/app/api/webhooks/alertmanager/route";

const server = createServer((req, res) => {
  void (async () => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    headers.set(USER_HEADER, "tester");
    const body = req.method === "POST" ? Buffer.concat(await req.toArray()) : undefined;
    const request = new NextRequest(url, { method: req.method, headers, body });
    const m = /^\/api\/analyses\/([^/]+)\/events$/.exec(url.pathname);
    let response: Response;
    if (m?.[1] && req.method === "GET") response = await events.GET(request, { params: Promise.resolve({ id: m[1] }) });
    else if (url.pathname === "/api/webhooks/alertmanager" && req.method === "POST") response = await webhook.POST(request, { params: Promise.resolve({}) });
    else response = new Response("not found", { status: 404 });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) return res.end();
    const stream = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>);
    res.on("close", () => stream.destroy());
    stream.pipe(res);
  })().catch((e: unknown) => {
    console.error(e);
    res.destroy();
  });
});

// As node_modules/next/dist/server/lib/start-server.js does, unless NEXT_MANUAL_SIG_HANDLE is set.
if (!process.env.NEXT_MANUAL_SIG_HANDLE) {
  const cleanup = (sig: NodeJS.Signals) => server.close(() => process.exit(sig === "SIGINT" ? 130 : 143));
  process.on("SIGINT", cleanup);
  process.on("SIGTERM", cleanup);
}

const port = Number(process.env.PORT);
await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
await register();
console.log(`ready ${port}`);
