import Link from "next/link";
import type { Alert, SourceError } from "@/lib/alerts/types";
import { describeAge } from "@/lib/alerts/group";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { SourceErrors } from "@/components/alerts/source-errors";
import { severityVariant } from "@/components/alerts/severity";
import { alertmanagerAlertUrl, alertmanagerSilenceUrl } from "@/lib/alerts/links";

const safeHttp = (u: string | undefined) => (u && /^https?:\/\//i.test(u) ? u : undefined);
const LINK_ANNOTATIONS = ["runbook_url", "dashboard", "dashboard_url", "grafana_url"];

function KeyValues({ entries, testId }: { entries: [string, string][]; testId: string }) {
  if (entries.length === 0) return <p className="text-sm text-slate-500">None.</p>;
  return (
    <dl data-testid={testId} className="grid grid-cols-1 gap-x-4 gap-y-1 text-sm sm:grid-cols-[minmax(8rem,max-content)_1fr]">
      {entries.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="font-mono text-slate-500">{k}</dt>
          <dd className="whitespace-pre-wrap break-words font-mono">{safeHttp(v) ? <a href={v} rel="noreferrer" target="_blank" className="text-sky-700 hover:underline dark:text-sky-400">{v}</a> : v}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * One alert: what fired, where, since when, its labels and annotations. `children` is where the analysis
 * panel goes.
 */
export function AlertDetail({
  fingerprint,
  alert,
  errors,
  now,
  alertmanagerUrl,
  children,
}: {
  fingerprint: string;
  alert: Alert | undefined;
  /** The public URL of the Alertmanager UI that holds the alert (ALERTMANAGER_PUBLIC_URL); without one, no link. */
  alertmanagerUrl?: string;
  errors: readonly SourceError[];
  now: number;
  children?: React.ReactNode;
}) {
  if (!alert) {
    return (
      <div className="space-y-4">
        <SourceErrors errors={errors} />
        <Card data-testid="alert-missing">
          <CardHeader>
            <CardTitle>Alert {fingerprint} is not firing</CardTitle>
          </CardHeader>
          <CardContent className="text-sm text-slate-600 dark:text-slate-400">
            No Alertmanager lists it now: it has resolved, or the Alertmanager that held it did not answer.{" "}
            <Link href="/" className="text-sky-700 hover:underline dark:text-sky-400">
              Back to the alert list
            </Link>
          </CardContent>
        </Card>
      </div>
    );
  }
  const { labels, annotations } = alert;
  const links = [
    ...LINK_ANNOTATIONS.flatMap((k) => {
      const url = safeHttp(annotations[k]);
      return url ? [{ label: k.replace(/_url$/, "").replace(/_/g, " "), url }] : [];
    }),
    ...(safeHttp(alert.generatorURL) ? [{ label: "source query", url: alert.generatorURL ?? "" }] : []),
    ...(alertmanagerUrl ? [{ label: "in Alertmanager", url: alertmanagerAlertUrl(alertmanagerUrl, labels) }] : []),
  ];
  return (
    <div className="space-y-4">
      <SourceErrors errors={errors} />
      <header className="space-y-2">
        <Link href="/" className="text-sm text-sky-700 hover:underline dark:text-sky-400">
          ← Alerts
        </Link>
        <div className="flex flex-wrap items-center gap-2">
          <h1 className="text-xl font-semibold">{labels.alertname ?? "(no alertname)"}</h1>
          <Badge variant={severityVariant(labels.severity)}>{labels.severity ?? "no severity"}</Badge>
          <Badge variant={alert.state === "active" ? "outline" : "muted"}>{alert.state}</Badge>
          <span className="text-sm text-slate-500">{describeAge(alert, now)}</span>
        </div>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          {[labels.cluster, labels.namespace, labels.pod, labels.container].filter(Boolean).join(" / ") || "no cluster, namespace or pod labels"}
        </p>
        {annotations.summary && <p className="text-base">{annotations.summary}</p>}
        {links.length > 0 && (
          <ul className="flex flex-wrap gap-3 text-sm">
            {links.map((l) => (
              <li key={l.label}>
                <a href={l.url} rel="noreferrer" target="_blank" className="text-sky-700 hover:underline dark:text-sky-400">
                  {l.label} ↗
                </a>
              </li>
            ))}
          </ul>
        )}
      </header>
      {children}
      <div className="grid gap-4 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>Labels</CardTitle>
          </CardHeader>
          <CardContent>
            <KeyValues testId="alert-labels" entries={Object.entries(labels)} />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Annotations</CardTitle>
          </CardHeader>
          <CardContent>
            <KeyValues testId="alert-annotations" entries={Object.entries(annotations)} />
          </CardContent>
        </Card>
      </div>
      <p className="text-xs text-slate-500">
        Fingerprint <span className="font-mono">{alert.fingerprint}</span> · from {alert.sources.join(", ") || alert.source}
        {alert.receivers.length > 0 && ` · receivers ${alert.receivers.join(", ")}`}
        {alert.silencedBy.length > 0 && " · silenced by "}
        {alert.silencedBy.map((id, i) => (
          <span key={id}>
            {i > 0 && ", "}
            {alertmanagerUrl ? (
              <a href={alertmanagerSilenceUrl(alertmanagerUrl, id)} rel="noreferrer" target="_blank" className="font-mono text-sky-700 hover:underline dark:text-sky-400">
                {id}
              </a>
            ) : (
              id
            )}
          </span>
        ))}
        {alert.inhibitedBy.length > 0 && ` · inhibited by ${alert.inhibitedBy.join(", ")}`}
        {" · started "}
        {alert.startsAt}
      </p>
    </div>
  );
}
