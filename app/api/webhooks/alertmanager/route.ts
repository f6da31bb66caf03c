import { NextResponse } from "next/server";
import { getServices } from "@/lib/server/services";
import { receiveWebhook } from "@/lib/server/webhook";
import { readTextLimited, withRoute } from "@/lib/server/route";
import { PEER_HEADER } from "@/lib/auth/peer";
import { drainingError, isDraining } from "@/lib/server/shutdown";

export const dynamic = "force-dynamic";

/**
 * Alertmanager's webhook receiver. Answers 202 at once and analyzes in the job worker. 4xx for what a
 * retry cannot fix (credentials, size, shape); 5xx only when the store failed or the process is shutting
 * down (503 with Retry-After), so Alertmanager retries.
 */
export const POST = withRoute(
  async ({ req, requestId }) => {
    if (isDraining()) throw drainingError();
    const body = await receiveWebhook(
      await getServices(),
      { authorization: req.headers.get("authorization"), peer: req.headers.get(PEER_HEADER), readText: (max) => readTextLimited(req, max) },
      requestId,
    );
    return NextResponse.json(body, { status: 202 });
  },
  { public: true },
);
