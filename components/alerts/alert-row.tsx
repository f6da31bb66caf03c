import Link from "next/link";
import type { Alert } from "@/lib/alerts/types";
import { describeAge } from "@/lib/alerts/group";
import { Badge } from "@/components/ui/badge";
import { cn } from "@/lib/utils";
import { LabelChips, type ChipHandler } from "@/components/alerts/label-chips";
import { AnalyzeButton } from "@/components/alerts/analyze-button";
import { severityBorder, severityVariant } from "@/components/alerts/severity";
import type { SilenceSummary } from "@/lib/alerts/api";
import { SilenceActions, silenceNote } from "@/components/alerts/silence-actions";
import { alertmanagerAlertUrl, alertmanagerSilenceUrl, publicUrlFor } from "@/lib/alerts/links";

/** What the row shows of the alert's latest analysis; fed by the analysis feature when there is one. */
export interface AlertAnalysisSummary {
  id?: string;
  status: string;
  topHypothesis?: string;
  issueUrl?: string;
  issueNumber?: number;
}

/** The alert's link target: its detail page. */
export function alertHref(fingerprint: string): string {
  return `/alerts/${encodeURIComponent(fingerprint)}`;
}

function rowTitle(a: Alert): string {
  const { namespace, pod, instance, alertname } = a.labels;
  if (pod) return namespace ? `${namespace}/${pod}` : pod;
  return instance ?? namespace ?? alertname ?? a.fingerprint;
}

const safeHttp = (u: string | undefined) => (u && /^https?:\/\//i.test(u) ? u : undefined);

export function AlertRow({
  alert,
  now,
  hideLabels = [],
  showAlertname = true,
  analysis,
  silences,
  alertmanagerUrls,
  onChip,
}: {
  alert: Alert;
  now: number;
  /** Labels the surrounding group already says (e.g. its group-by label). */
  hideLabels?: readonly string[];
  /** False inside an alertname group, where the name is the group's title. */
  showAlertname?: boolean;
  analysis?: AlertAnalysisSummary;
  /** Who set the silences the list names, by id (an ACK! one reads "acknowledged by … until …"). */
  silences?: Record<string, SilenceSummary>;
  /** Per alert source, its Alertmanager UI's public URL: with one, the row links the alert (and its silence) there. */
  alertmanagerUrls?: Record<string, string>;
  /** Label chips filter the list (Alt-click excludes). */
  onChip?: ChipHandler;
}) {
  const title = rowTitle(alert);
  // namespace/pod are in the title already
  const inTitle = alert.labels.pod ? ["namespace", "pod"] : [];
  const summary = alert.annotations.summary ?? alert.annotations.description;
  const issueUrl = safeHttp(analysis?.issueUrl);
  const silenceId = alert.silencedBy.find((id) => silences?.[id] !== undefined);
  const silence = silenceId === undefined ? undefined : silences?.[silenceId];
  const amUrl = publicUrlFor(alert, alertmanagerUrls);
  const name = `${alert.labels.alertname ?? "alert"} ${title}`;
  return (
    <li
      data-testid="alert-row"
      data-fingerprint={alert.fingerprint}
      // j/k move focus here; Enter opens, a analyzes (the list's shortcuts).
      tabIndex={-1}
      className={cn(
        "flex flex-col focus:outline-2 focus:-outline-offset-2 focus:outline-sky-600 gap-2 border-l-4 px-3 py-2 sm:flex-row sm:items-start sm:justify-between",
        severityBorder(alert.labels.severity),
        alert.state === "suppressed" && "opacity-70",
      )}
    >
      <div className="min-w-0 flex-1 space-y-1">
        <div className="flex flex-wrap items-center gap-2">
          <Link href={alertHref(alert.fingerprint)} prefetch={false} className="truncate font-medium text-sky-700 hover:underline dark:text-sky-400">
            {showAlertname ? `${alert.labels.alertname ?? "(no alertname)"} · ${title}` : title}
          </Link>
          <Badge variant={severityVariant(alert.labels.severity)}>{alert.labels.severity ?? "no severity"}</Badge>
          {alert.state !== "active" && (
            <Badge variant="muted" title={[...alert.silencedBy.map((s) => `silence ${s}`), ...alert.inhibitedBy.map((s) => `inhibited by ${s}`)].join("\n")}>
              {alert.state === "suppressed" ? (alert.silencedBy.length ? "silenced" : alert.inhibitedBy.length ? "inhibited" : "suppressed") : alert.state}
            </Badge>
          )}
          <span className="text-xs text-slate-500">{describeAge(alert, now)}</span>
          {alert.sources.length > 1 && <span className="text-xs text-slate-500">via {alert.sources.join(", ")}</span>}
        </div>
        {silence && (
          <p data-testid="silence-note" className="text-xs text-slate-600 dark:text-slate-400" title={silence.comment}>
            {silenceNote(silence)}
            {amUrl && silenceId && (
              <>
                {" · "}
                <a href={alertmanagerSilenceUrl(amUrl, silenceId)} rel="noreferrer" target="_blank" className="text-sky-700 hover:underline dark:text-sky-400">
                  silence in Alertmanager ↗
                </a>
              </>
            )}
          </p>
        )}
        {summary && <p className="line-clamp-2 text-sm text-slate-700 dark:text-slate-300">{summary}</p>}
        <LabelChips labels={alert.labels} hide={["alertname", "severity", ...inTitle, ...hideLabels]} onChip={onChip} />
        <div className="flex flex-wrap items-center gap-2">
          <AnalyzeButton fingerprint={alert.fingerprint} />
          {alert.state === "active" && <SilenceActions alerts={[alert]} name={name} />}
          {amUrl && (
            <a
              data-testid="alertmanager-link"
              href={alertmanagerAlertUrl(amUrl, alert.labels)}
              title={`Open ${name} in Alertmanager's own UI`}
              rel="noreferrer"
              target="_blank"
              className="text-xs text-sky-700 hover:underline dark:text-sky-400"
            >
              Alertmanager<span aria-hidden> ↗</span>
            </a>
          )}
        </div>
      </div>
      {analysis && (
        <div data-testid="alert-analysis" className="flex shrink-0 flex-col items-start gap-1 text-xs sm:max-w-72 sm:items-end">
          {analysis.id ? (
            <Link href={`/analyses/${encodeURIComponent(analysis.id)}`} className="hover:underline">
              <Badge variant="outline">analysis: {analysis.status}</Badge>
            </Link>
          ) : (
            <Badge variant="outline">analysis: {analysis.status}</Badge>
          )}
          {analysis.topHypothesis && <p className="line-clamp-2 text-slate-600 dark:text-slate-400">{analysis.topHypothesis}</p>}
          {issueUrl && (
            <a href={issueUrl} className="text-sky-700 hover:underline dark:text-sky-400" rel="noreferrer" target="_blank">
              {analysis.issueNumber ? `issue #${analysis.issueNumber}` : "issue"}
            </a>
          )}
        </div>
      )}
    </li>
  );
}
