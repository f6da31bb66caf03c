import { NextResponse } from "next/server";
import { loadConfig } from "@/lib/config";
import { getAlertSource } from "@/lib/alerts";
import { formatMatcher, matchAlert, parseFilters } from "@/lib/alerts/matchers";
import type { AlertListResponse } from "@/lib/alerts/api";
import { withRoute } from "@/lib/server/route";

export const dynamic = "force-dynamic";

/** Live alerts from every configured Alertmanager (or the demo), with one error per failing source. */
export const GET = withRoute(async ({ req }) => {
  const matchers = parseFilters(req.nextUrl.searchParams.getAll("filter"));
  const config = loadConfig();
  const result = await getAlertSource(config).listAlerts({ filter: matchers.map(formatMatcher), signal: req.signal });
  // Alertmanager already filtered; this also filters sources that do not (the demo) with the same semantics.
  const alerts = matchers.length ? result.alerts.filter((a) => matchAlert(a, matchers)) : result.alerts;
  const body: AlertListResponse = { alerts, errors: result.errors, demo: config.demo };
  return NextResponse.json(body, { headers: { "cache-control": "no-store" } });
});
