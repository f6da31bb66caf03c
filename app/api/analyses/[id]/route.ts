import { NextResponse } from "next/server";
import { getServices } from "@/lib/server/services";
import { withRoute } from "@/lib/server/route";
import { AppError } from "@/lib/errors";
import type { Analysis } from "@/lib/analysis/api";

export const dynamic = "force-dynamic";

/** One analysis with its redacted evidence, report and markdown. */
export const GET = withRoute<{ id: string }>(async ({ params }) => {
  const s = await getServices();
  const a = await s.store.getAnalysis(params.id.slice(0, 64));
  if (!a) throw new AppError("not_found", `No analysis ${params.id.slice(0, 64)}.`, { hint: "Open the history at /analyses." });
  return NextResponse.json(a satisfies Analysis);
});
