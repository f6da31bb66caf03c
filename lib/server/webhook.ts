import "server-only";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { randomUUID } from "node:crypto";
import { AppError, describeError, isAppError } from "@/lib/errors";
import { getMetrics } from "@/lib/metrics";
import { parseJsonText } from "@/lib/server/route";
import type { Services } from "@/lib/server/services";
import { drainingError, isDraining } from "@/lib/server/shutdown";
import { webhookAuthorized } from "@/lib/webhooks/auth";
import { webhookEnvelopeSchema } from "@/lib/webhooks/schema";

export const WEBHOOK_PATH = "/api/webhooks/alertmanager";
const MAX_BODY = 1024 * 1024;
/** Rejections listed in the 202 answer; the count covers all of them. */
const MAX_LISTED_REJECTIONS = 20;
/** Past the limit the listener reads and discards at most this much more before it gives up on the sender. */
const MAX_DISCARD = 16 * 1024 * 1024;
const DISCARD_TIMEOUT_MS = 10_000;

export interface WebhookRequest {
  authorization: string | null;
  /** The TCP peer, for the loopback-demo exception. */
  peer: string | null;
  /** Read the body, refusing more than maxBytes. */
  readText: (maxBytes: number) => Promise<string>;
}

/**
 * Receive one Alertmanager webhook: check its credentials, validate its envelope, take each valid alert
 * as a durable job and record each invalid one, and return the 202 body. Both the Next route and the
 * dedicated listener (WEBHOOK_LISTEN) call this.
 * @throws AppError unauthorized, payload_too_large, bad_request or unprocessable (the body is not a
 * webhook; 4xx: Alertmanager does not retry), or what the store threw (5xx: Alertmanager retries).
 */
export async function receiveWebhook(s: Services, req: WebhookRequest, requestId: string) {
  const m = getMetrics();
  if (!(await webhookAuthorized(req.authorization, req.peer, s.config))) {
    m.webhooks.inc({ outcome: "unauthorized" });
    throw new AppError("unauthorized", "Webhook credentials missing or wrong.", {
      hint: "Configure WEBHOOK_BEARER_TOKEN (or WEBHOOK_BASIC_AUTH) and the same credentials in Alertmanager's webhook http_config.",
    });
  }
  let envelope;
  try {
    envelope = parseJsonText(await req.readText(MAX_BODY), webhookEnvelopeSchema);
  } catch (e) {
    m.webhooks.inc({ outcome: isAppError(e) ? e.code : "invalid" });
    if (isAppError(e) && e.code === "payload_too_large") {
      throw new AppError("payload_too_large", e.message, {
        hint: "Set max_alerts on the Alertmanager webhook receiver (see the README) so one notification stays under 1 MiB.",
      });
    }
    throw e;
  }
  const outcome = await s.triage.intakeWebhook(envelope, requestId);
  m.webhooks.inc({ outcome: outcome.rejected.length ? "partial" : "accepted" });
  const { rejected, ...counts } = outcome;
  const truncated = envelope.truncatedAlerts ?? 0;
  const line = { event: "webhook", requestId, receiver: envelope.receiver, alerts: envelope.alerts.length, ...counts, skipped: counts.skipped.length, rejected: rejected.length, truncated };
  if (truncated > 0) s.log.warn(line, "webhook accepted; Alertmanager left alerts out (max_alerts): they were not sent in this notification");
  else s.log.info(line, "webhook accepted");
  return {
    status: "accepted" as const,
    ...counts,
    skipped: counts.skipped.slice(0, 100),
    rejected: rejected.length,
    rejections: rejected.slice(0, MAX_LISTED_REJECTIONS).map((r) => ({ index: r.index, ...(r.fingerprint ? { fingerprint: r.fingerprint } : {}), reason: r.reason })),
  };
}

/**
 * Buffer the body up to maxBytes. Past that, stop buffering and read the rest into nothing (bounded by
 * MAX_DISCARD and a timeout) before refusing, so the sender is still reading when the 413 arrives; a
 * reset connection tells Alertmanager nothing.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new AppError("payload_too_large", `Body is larger than ${maxBytes} bytes.`);
    let chunks: Buffer[] = [];
    let total = 0;
    let over = false;
    const refuse = () => {
      if (over) return;
      over = true;
      chunks = [];
      const timer = setTimeout(() => reject(tooLarge()), DISCARD_TIMEOUT_MS);
      req.once("end", () => {
        clearTimeout(timer);
        reject(tooLarge());
      });
    };
    if (Number(req.headers["content-length"] ?? "0") > maxBytes) refuse();
    req.on("data", (c: Buffer) => {
      total += c.length;
      if (over) {
        if (total > maxBytes + MAX_DISCARD) {
          reject(tooLarge());
          req.pause();
        }
        return;
      }
      if (total > maxBytes) return refuse();
      chunks.push(c);
    });
    req.on("end", () => {
      if (!over) resolve(Buffer.concat(chunks).toString("utf8"));
    });
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
      // After a 413 the connection is not reused; a body the sender was still pushing past the discard bound is cut off once the answer is out.
      const close = status === 413;
      res.writeHead(status, { "content-type": "application/json", "x-request-id": requestId, ...headers, ...(close ? { connection: "close" } : {}) });
      res.end(JSON.stringify(body), () => {
        if (close && !req.readableEnded) req.socket.destroy();
      });
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
        if (isAppError(e)) return send(e.status, { error: e.toJSON() });
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
