import { NextResponse } from "next/server";
import { loadConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { getMetrics } from "@/lib/metrics";
import { getServices } from "@/lib/server/services";
import { acceptWebhook } from "@/lib/server/triage";
import { readJson, withRoute } from "@/lib/server/route";
import { webhookPayloadSchema } from "@/lib/webhooks/schema";
import { webhookAuthorized } from "@/lib/webhooks/auth";

export const dynamic = "force-dynamic";

const MAX_BODY = 1024 * 1024;

/**
 * Alertmanager's webhook receiver. Answers 202 at once and analyzes in the job worker. 4xx for what a
 * retry cannot fix (credentials, size, shape); 5xx only when the store failed, so Alertmanager retries.
 */
export const POST = withRoute(
  async ({ req, log, requestId }) => {
    const m = getMetrics();
    const config = loadConfig();
    if (!(await webhookAuthorized(req.headers.get("authorization"), req.headers.get("x-triage-peer"), config))) {
      m.webhooks.inc({ outcome: "unauthorized" });
      throw new AppError("unauthorized", "Webhook credentials missing or wrong.", {
        hint: "Configure WEBHOOK_BEARER_TOKEN (or WEBHOOK_BASIC_AUTH) and the same credentials in Alertmanager's webhook http_config.",
      });
    }
    let payload;
    try {
      payload = await readJson(req, webhookPayloadSchema, MAX_BODY);
    } catch (e) {
      m.webhooks.inc({ outcome: e instanceof AppError ? e.code : "invalid" });
      throw e;
    }
    const s = await getServices();
    const outcome = await acceptWebhook(s, payload, requestId);
    m.webhooks.inc({ outcome: "accepted" });
    log.info({ event: "webhook", receiver: payload.receiver, alerts: payload.alerts.length, ...outcome, skipped: outcome.skipped.length }, "webhook accepted");
    return NextResponse.json({ status: "accepted", ...outcome, skipped: outcome.skipped.slice(0, 100) }, { status: 202 });
  },
  { public: true },
);
