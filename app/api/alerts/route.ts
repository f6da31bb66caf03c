import { NextResponse } from "next/server";
import { getServices } from "@/lib/server/services";
import { formatMatcher, matchAlert, parseFilters } from "@/lib/alerts/matchers";
import type { AlertListResponse } from "@/lib/alerts/api";
import { withRoute } from "@/lib/server/route";

export const dynamic = "force-dynamic";

/** Live alerts from every configured Alertmanager (or the demo), with one error per failing source. */
export const GET = withRoute(async ({ req }) => {
  const matchers = parseFilters(req.nextUrl.searchParams.getAll("filter"));
  const s = await getServices();
  const result = await s.alerts.listAlerts({ filter: matchers.map(formatMatcher), signal: req.signal });
  // Alertmanager already filtered; this also filters sources that do not (the demo) with the same semantics.
  const alerts = matchers.length ? result.alerts.filter((a) => matchAlert(a, matchers)) : result.alerts;
  const latest = await s.store.latestAnalysesFor(alerts.map((a) => a.fingerprint));
  const analyses: AlertListResponse["analyses"] = {};
  for (const [fp, a] of latest) {
    analyses[fp] = { id: a.id, status: a.status, topHypothesis: a.topHypothesis?.title, issueUrl: a.issueUrl, issueNumber: a.issueNumber, resolved: !!a.resolvedAt };
  }
  const body: AlertListResponse = { alerts, errors: result.errors, demo: s.config.demo, analyses };
  return NextResponse.json(body, { headers: { "cache-control": "no-store" } });
});
