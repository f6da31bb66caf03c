import { NextResponse } from "next/server";
import { getServices } from "@/lib/server/services";
import { withRoute } from "@/lib/server/route";
import type { RetryJobResponse } from "@/lib/jobs/api";

export const dynamic = "force-dynamic";

/** Put a failed job back in the queue. */
export const POST = withRoute<{ id: string }>(async ({ params, user }) => {
  const s = await getServices();
  const job = await s.jobs.retry(params.id.slice(0, 64));
  await s.store.addAudit(user, "job.retried", job.id, { kind: job.kind });
  s.worker.kick();
  const body: RetryJobResponse = { id: job.id, status: job.status };
  return NextResponse.json(body, { status: 202 });
});
