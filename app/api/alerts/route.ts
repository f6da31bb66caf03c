import { NextResponse } from "next/server";
import { getServices } from "@/lib/server/services";
import { formatMatcher, matchAlert, parseFilters } from "@/lib/alerts/matchers";
import type { AlertListResponse } from "@/lib/alerts/api";
import type { Alert } from "@/lib/alerts/types";
import { getSilenceClient } from "@/lib/alerts/silences";
import { withRoute } from "@/lib/server/route";

export const dynamic = "force-dynamic";

/** Live alerts from every configured Alertmanager (or the demo), with one error per failing source. */
export const GET = withRoute(async ({ req }) => {
  const matchers = parseFilters(req.nextUrl.searchParams.getAll("filter"));
  const s = await getServices();
  const result = await s.alerts.listAlerts({ filter: matchers.map(formatMatcher), signal: req.signal });
  // Alertmanager already filtered; this also filters sources that do not (the demo) with the same semantics.
  const alerts = matchers.length ? result.alerts.filter((a) => matchAlert(a, matchers)) : result.alerts;
  const [latest, silences] = await Promise.all([s.store.latestAnalysesFor(alerts.map((a) => a.fingerprint)), silenceSummaries(s.config, alerts)]);
  const analyses: AlertListResponse["analyses"] = {};
  for (const [fp, a] of latest) {
    analyses[fp] = { id: a.id, status: a.status, topHypothesis: a.topHypothesis?.title, issueUrl: a.issueUrl, issueNumber: a.issueNumber, resolved: !!a.resolvedAt };
  }
  const body: AlertListResponse = { alerts, errors: result.errors, demo: s.config.demo, analyses, ...(silences ? { silences } : {}) };
  return NextResponse.json(body, { headers: { "cache-control": "no-store" } });
});

/** Who set each silence the alerts name, and until when (silences read through their own short cache). */
async function silenceSummaries(config: Parameters<typeof getSilenceClient>[0], alerts: Alert[]): Promise<AlertListResponse["silences"]> {
  const ids = new Set(alerts.flatMap((a) => a.silencedBy));
  if (ids.size === 0) return undefined;
  const { silences } = await getSilenceClient(config).listSilences();
  const out: NonNullable<AlertListResponse["silences"]> = {};
  for (const x of silences) if (ids.has(x.id)) out[x.id] = { createdBy: x.createdBy, endsAt: x.endsAt, comment: x.comment, ack: x.ack };
  return out;
}
