import { NextResponse } from "next/server";
import { getServices } from "@/lib/server/services";
import { withRoute } from "@/lib/server/route";
import type { SimilarIncidentsResponse } from "@/lib/analysis/api";

export const dynamic = "force-dynamic";

/** Earlier incidents with this analysis's failure signature: same workload first, each with its issue and resolution. */
export const GET = withRoute<{ id: string }>(async ({ params }) => {
  const s = await getServices();
  return NextResponse.json((await s.triage.similarIncidents(params.id.slice(0, 64))) satisfies SimilarIncidentsResponse);
});
