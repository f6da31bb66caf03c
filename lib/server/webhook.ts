import "server-only";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { randomUUID } from "node:crypto";
import { AppError, describeError } from "@/lib/errors";
import { getMetrics } from "@/lib/metrics";
import { parseJsonText } from "@/lib/server/route";
import type { Services } from "@/lib/server/services";
import { acceptWebhook } from "@/lib/server/triage";
import { drainingError, isDraining } from "@/lib/server/shutdown";
import { webhookAuthorized } from "@/lib/webhooks/auth";
import { webhookPayloadSchema } from "@/lib/webhooks/schema";

export const WEBHOOK_PATH = "/api/webhooks/alertmanager";
const MAX_BODY = 1024 * 1024;

export interface WebhookRequest {
  authorization: string | null;
  /** The TCP peer, for the loopback-demo exception. */
  peer: string | null;
  /** Read the body, refusing more than maxBytes. */
  readText: (maxBytes: number) => Promise<string>;
}

/**
 * Receive one Alertmanager webhook: check its credentials, validate it, turn it into durable jobs, and
 * return the 202 body. Both the Next route and the dedicated listener (WEBHOOK_LISTEN) call this.
 * @throws AppError unauthorized, payload_too_large, bad_request or unprocessable (4xx: Alertmanager does
 * not retry), or what the store threw (5xx: Alertmanager retries).
 */
export async function receiveWebhook(s: Services, req: WebhookRequest, requestId: string) {
  const m = getMetrics();
  if (!(await webhookAuthorized(req.authorization, req.peer, s.config))) {
    m.webhooks.inc({ outcome: "unauthorized" });
    throw new AppError("unauthorized", "Webhook credentials missing or wrong.", {
      hint: "Configure WEBHOOK_BEARER_TOKEN (or WEBHOOK_BASIC_AUTH) and the same credentials in Alertmanager's webhook http_config.",
    });
  }
  let payload;
  try {
    payload = parseJsonText(await req.readText(MAX_BODY), webhookPayloadSchema);
  } catch (e) {
    m.webhooks.inc({ outcome: e instanceof AppError ? e.code : "invalid" });
    throw e;
  }
  const outcome = await acceptWebhook(s, payload, requestId);
  m.webhooks.inc({ outcome: "accepted" });
  s.log.info({ event: "webhook", requestId, receiver: payload.receiver, alerts: payload.alerts.length, ...outcome, skipped: outcome.skipped.length }, "webhook accepted");
  return { status: "accepted" as const, ...outcome, skipped: outcome.skipped.slice(0, 100) };
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers["content-length"] ?? "0") > maxBytes) {
      reject(new AppError("payload_too_large", `Body is larger than ${maxBytes} bytes.`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    req.on("data", (c: Buffer) => {
      total += c.length;
      if (total > maxBytes) {
        reject(new AppError("payload_too_large", `Body is larger than ${maxBytes} bytes.`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/**
 * A plain HTTP listener for the webhook alone (WEBHOOK_LISTEN), beside the console: it skips Next's
 * page machinery, so a burst of notifications costs a fraction of a millisecond each on top of the store.
 */
export function startWebhookListener(s: Services, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const requestId = randomUUID();
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", "x-request-id": requestId, ...headers });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? "").split("?")[0];
    if (path !== WEBHOOK_PATH) return send(404, { error: { code: "not_found", message: `Only POST ${WEBHOOK_PATH} is served here.` } });
    if (req.method !== "POST") return send(405, { error: { code: "bad_request", message: "Use POST." } }, { allow: "POST" });
    // A request on a kept-alive connection after the drain began: Alertmanager retries the 503.
    if (isDraining()) {
      const e = drainingError();
      return send(e.status, { error: e.toJSON() }, { "retry-after": String(e.retryAfterSeconds ?? 5), connection: "close" });
    }
    receiveWebhook(s, { authorization: req.headers.authorization ?? null, peer: req.socket.remoteAddress ?? null, readText: (max) => readBody(req, max) }, requestId)
      .then((body) => send(202, body))
      .catch((e: unknown) => {
        if (e instanceof AppError) return send(e.status, { error: e.toJSON() });
        s.log.error({ requestId, err: describeError(e) }, "webhook failed");
        send(500, { error: { code: "internal", message: "Internal error; the details are in the server log.", hint: `Quote request id ${requestId}.` } });
      });
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
