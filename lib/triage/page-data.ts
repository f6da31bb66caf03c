import type { AlertListResponse } from "@/lib/alerts/api";
import { formatMatcher, matchAlert, type Matcher } from "@/lib/alerts/matchers";
import type { Alert, AlertSource, Target } from "@/lib/alerts/types";
import { getSilenceClient } from "@/lib/alerts/silences";
import { publicUrlFor } from "@/lib/alerts/links";
import { snapshotFromTarget, targetFingerprint } from "@/lib/alerts/snapshot";
import type { Config } from "@/lib/config";
import type { Store } from "@/lib/store";
import type { AlertHistoryEntry, AnalysisSummary } from "@/lib/store/models";

/** What the alert list, an alert's page and a deep link read: live alerts and each one's latest analysis. */
export interface PageDataDeps {
  store: Pick<Store, "latestAnalysisByFingerprint" | "latestAnalysesFor">;
  alerts: Pick<AlertSource, "listAlerts">;
  config: Pick<Config, "demo" | "alertmanagerPublicUrls"> & { policy: Pick<Config["policy"], "cooldownSeconds"> } & Parameters<typeof getSilenceClient>[0];
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
  const alertmanagerUrls = d.config.alertmanagerPublicUrls;
  return {
    alerts,
    errors: result.errors,
    demo: d.config.demo,
    analyses,
    ...(silences ? { silences } : {}),
    ...(Object.keys(alertmanagerUrls).length ? { alertmanagerUrls } : {}),
  };
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
  const alertmanagerUrl = alert && publicUrlFor(alert, d.config.alertmanagerPublicUrls);
  return { fingerprint, alert, alertmanagerUrl, errors: list.errors, readAt, latestId: latest?.id, autoStart: analyze && !!alert && !recent };
}

/** An analysis this young makes `analyze=1` links open it instead of starting another (at least 5 min). */
function isRecent(d: PageDataDeps, createdAt: string | undefined, now: number): boolean {
  return !!createdAt && now - Date.parse(createdAt) < Math.max(d.config.policy.cooldownSeconds, 300) * 1000;
}

/** One firing episode of an alert (fingerprint + startsAt): when it fired, when it resolved, its analyses. */
export interface AlertEpisode {
  startsAt: string;
  /** When the console first heard of it firing (absent when only its resolution reached the webhook). */
  firingReceivedAt?: string;
  resolvedAt?: string;
  labels: Record<string, string>;
  analyses: AnalysisSummary[];
}

export interface AlertHistoryState {
  fingerprint: string;
  /** Newest first. */
  episodes: AlertEpisode[];
  /** Analyses that fall before every recorded episode (manual ones, or history already pruned). */
  otherAnalyses: AnalysisSummary[];
  issue?: { number: number; url: string; closedAt?: string };
}

export interface AlertHistoryDeps {
  store: Pick<Store, "alertHistory" | "listAnalyses" | "issueFor">;
}

/**
 * An alert's history as its page shows it: the episodes the webhook saw (fired, resolved, re-fired),
 * newest first, each with the analyses made during it, and the alert's issue.
 * @throws what the store throws.
 */
export async function alertHistoryState(d: AlertHistoryDeps, fingerprint: string): Promise<AlertHistoryState> {
  const [rows, page, issue] = await Promise.all([
    d.store.alertHistory(fingerprint, 400),
    d.store.listAnalyses({ fingerprint, limit: 200 }),
    d.store.issueFor(fingerprint),
  ]);
  const episodes = groupEpisodes(rows);
  const otherAnalyses: AnalysisSummary[] = [];
  for (const a of page.items) {
    // An analysis belongs to its own episode when it names one, else to the newest episode that began before it.
    const byName = a.episode ? episodes.find((e) => sameInstant(e.startsAt, a.episode as string)) : undefined;
    const home = byName ?? episodes.find((e) => Date.parse(e.startsAt) <= Date.parse(a.createdAt));
    (home ? home.analyses : otherAnalyses).push(a);
  }
  return { fingerprint, episodes, otherAnalyses, ...(issue ? { issue } : {}) };
}

function sameInstant(a: string, b: string): boolean {
  return Date.parse(a) === Date.parse(b);
}

/** Rows (any order) to episodes, newest startsAt first. */
export function groupEpisodes(rows: readonly AlertHistoryEntry[]): AlertEpisode[] {
  const by = new Map<string, AlertEpisode>();
  for (const r of rows) {
    const e = by.get(r.startsAt) ?? { startsAt: r.startsAt, labels: r.labels, analyses: [] };
    if (r.status === "firing") e.firingReceivedAt = r.receivedAt;
    else e.resolvedAt = r.endsAt ?? r.receivedAt;
    by.set(r.startsAt, e);
  }
  return [...by.values()].sort((a, b) => b.startsAt.localeCompare(a.startsAt));
}

export interface RecentlyResolvedDeps {
  store: Pick<Store, "recentlyResolved">;
}

/** Alerts whose latest episode resolved within the last `hours` hours, newest first. */
export async function recentlyResolved(d: RecentlyResolvedDeps, hours: number, now = Date.now()): Promise<AlertHistoryEntry[]> {
  return d.store.recentlyResolved(new Date(now - hours * 3_600_000).toISOString(), 200);
}
