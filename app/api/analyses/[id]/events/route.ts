import { getServices } from "@/lib/server/services";
import { withRoute } from "@/lib/server/route";
import { AppError } from "@/lib/errors";
import { analysisEventsResponse } from "@/lib/server/analysis-events";
import { drainingError, isDraining } from "@/lib/server/shutdown";

export const dynamic = "force-dynamic";

/** Server-sent progress of one analysis (lib/server/analysis-events); while draining, new streams get 503. */
export const GET = withRoute<{ id: string }>(async ({ req, params }) => {
  if (isDraining()) throw drainingError();
  const s = await getServices();
  const id = params.id.slice(0, 64);
  const a = await s.store.getAnalysis(id);
  if (!a) throw new AppError("not_found", `No analysis ${id}.`);
  return analysisEventsResponse(s, a, req.signal);
});
