import type { AlertListResponse } from "@/lib/alerts/api";
import { formatMatcher, matchAlert, type Matcher } from "@/lib/alerts/matchers";
import type { Alert, AlertSource, Target } from "@/lib/alerts/types";
import { getSilenceClient } from "@/lib/alerts/silences";
import { snapshotFromTarget, targetFingerprint } from "@/lib/alerts/snapshot";
import type { Config } from "@/lib/config";
import type { Store } from "@/lib/store";

/** What the alert list, an alert's page and a deep link read: live alerts and each one's latest analysis. */
export interface PageDataDeps {
  store: Pick<Store, "latestAnalysisByFingerprint" | "latestAnalysesFor">;
  alerts: Pick<AlertSource, "listAlerts">;
  config: Pick<Config, "demo"> & { policy: Pick<Config["policy"], "cooldownSeconds"> } & Parameters<typeof getSilenceClient>[0];
}

/**
 * The alert list: live alerts from every source matching the filters (one error per failing source),
 * with what the list shows of each one's latest analysis.
 * @throws what the store throws.
 */
export async function alertList(d: PageDataDeps, matchers: readonly Matcher[], signal?: AbortSignal): Promise<AlertListResponse> {
  const result = await d.alerts.listAlerts({ filter: matchers.map(formatMatcher), signal });
  // Alertmanager already filtered; this also filters sources that do not (the demo) with the same semantics.
  const alerts = matchers.length ? result.alerts.filter((a) => matchAlert(a, matchers)) : result.alerts;
  const [latest, silences] = await Promise.all([d.store.latestAnalysesFor(alerts.map((a) => a.fingerprint)), silenceSummaries(d.config, alerts)]);
  const analyses: AlertListResponse["analyses"] = {};
  for (const [fp, a] of latest) {
    analyses[fp] = { id: a.id, status: a.status, topHypothesis: a.topHypothesis?.title, issueUrl: a.issueUrl, issueNumber: a.issueNumber, resolved: !!a.resolvedAt };
  }
  return { alerts, errors: result.errors, demo: d.config.demo, analyses, ...(silences ? { silences } : {}) };
}

/** Who set each silence the alerts name, and until when (silences read through their own short cache). */
async function silenceSummaries(config: Parameters<typeof getSilenceClient>[0], alerts: Alert[]): Promise<AlertListResponse["silences"]> {
  const ids = new Set(alerts.flatMap((a) => a.silencedBy));
  if (ids.size === 0) return undefined;
  const { silences } = await getSilenceClient(config).listSilences();
  const out: NonNullable<AlertListResponse["silences"]> = {};
  for (const x of silences) if (ids.has(x.id)) out[x.id] = { createdBy: x.createdBy, endsAt: x.endsAt, comment: x.comment, ack: x.ack };
  return out;
}

/**
 * What a deep link (/triage?alertname=&namespace=&pod=&cluster=&container=) opens: the matching live
 * alert or the bare target, its latest analysis, and whether to start one (analyze=1 with no recent one).
 */
export async function deepLinkState(d: PageDataDeps, p: Target & { alertname?: string; analyze: boolean }) {
  const { alertname, analyze, ...target } = p;
  const { alerts } = await d.alerts.listAlerts();
  const live = alerts.find(
    (a) =>
      a.labels.namespace === target.namespace &&
      a.labels.pod === target.pod &&
      (!alertname || a.labels.alertname === alertname) &&
      (!target.cluster || !a.labels.cluster || a.labels.cluster === target.cluster),
  );
  const fingerprint = live?.fingerprint ?? targetFingerprint(target);
  const latest = await d.store.latestAnalysisByFingerprint(fingerprint);
  const recent = isRecent(d, latest?.createdAt, Date.now());
  const labels: Record<string, string> = live?.labels ?? snapshotFromTarget({ ...target, alertname }).labels;
  return { live: !!live, fingerprint, latestId: latest?.id, autoStart: analyze && !recent, labels };
}

/** What an alert's page shows: the live alert (if still firing), source errors, and its latest analysis. */
export async function alertPageState(d: PageDataDeps, fingerprint: string, analyze: boolean) {
  const [list, latest] = await Promise.all([d.alerts.listAlerts(), d.store.latestAnalysisByFingerprint(fingerprint)]);
  const alert = list.alerts.find((a) => a.fingerprint === fingerprint);
  const readAt = Date.now();
  const recent = isRecent(d, latest?.createdAt, readAt);
  return { fingerprint, alert, errors: list.errors, readAt, latestId: latest?.id, autoStart: analyze && !!alert && !recent };
}

/** An analysis this young makes `analyze=1` links open it instead of starting another (at least 5 min). */
function isRecent(d: PageDataDeps, createdAt: string | undefined, now: number): boolean {
  return !!createdAt && now - Date.parse(createdAt) < Math.max(d.config.policy.cooldownSeconds, 300) * 1000;
}
