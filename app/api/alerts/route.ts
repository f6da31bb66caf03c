import { NextResponse } from "next/server";
import { getServices } from "@/lib/server/services";
import { parseFilters } from "@/lib/alerts/matchers";
import type { AlertListResponse } from "@/lib/alerts/api";
import { withRoute } from "@/lib/server/route";

export const dynamic = "force-dynamic";

/** Live alerts from every configured Alertmanager (or the demo), with one error per failing source. */
export const GET = withRoute(async ({ req }) => {
  const matchers = parseFilters(req.nextUrl.searchParams.getAll("filter"));
  const s = await getServices();
  const body: AlertListResponse = await s.triage.alertList(matchers, req.signal);
  return NextResponse.json(body, { headers: { "cache-control": "no-store" } });
});

