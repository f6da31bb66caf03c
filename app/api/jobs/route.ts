import { NextResponse } from "next/server";
import { getServices } from "@/lib/server/services";
import { withRoute } from "@/lib/server/route";
import type { JobView, QueueResponse } from "@/lib/jobs/api";

export const dynamic = "force-dynamic";

/**
 * The job queue: counts by state, the latest failures with their reasons, webhook alerts refused one by
 * one, and the latest workflow dispatches (WEBHOOK_MODE=dispatch) with the workflow's runs page.
 */
export const GET = withRoute(async () => {
  const s = await getServices();
  const [counts, failed, running, rejected, dispatches] = await Promise.all([
    s.jobs.counts(),
    s.jobs.list({ status: "failed", limit: 20 }),
    s.jobs.list({ status: "running", limit: 20 }),
    s.store.listRejectedAlerts(10),
    s.triage.listDispatches(10),
  ]);
  // owner: the lease holder (worker id host:pid:random) of a running job, and until when its lease holds.
  const view = (j: (typeof failed)[number]): JobView => ({
    id: j.id,
    kind: j.kind,
    status: j.status,
    attempts: j.attempts,
    lastError: j.lastError,
    analysisId: j.analysisId,
    owner: j.lockedBy,
    leaseExpiresAt: j.leaseExpiresAt,
    updatedAt: j.updatedAt,
  });
  const body: QueueResponse = {
    counts,
    running: running.map(view),
    failed: failed.map(view),
    concurrency: s.config.gemini.concurrency,
    rejectedAlerts: { total: rejected.total, recent: rejected.items },
    webhookMode: s.config.webhook.mode,
    dispatches,
  };
  return NextResponse.json(body);
});
