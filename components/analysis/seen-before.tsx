"use client";

import { useQuery } from "@tanstack/react-query";
import { fetchSimilarIncidents, similarKeys, type SimilarIncident, type SimilarIncidentsResponse } from "@/lib/analysis/api";
import { safeUrl } from "@/lib/markdown/safe";
import { Badge, type BadgeVariant } from "@/components/ui/badge";

const ISSUE_BADGE: Record<NonNullable<SimilarIncident["issue"]>["state"], BadgeVariant> = { open: "warning", closed: "muted", gone: "outline", unknown: "outline" };

/** "Seen before": earlier analyses with this one's failure signature, read once it is done. */
export function SeenBefore({ analysisId }: { analysisId: string }) {
  const q = useQuery({ queryKey: similarKeys.of(analysisId), queryFn: ({ signal }) => fetchSimilarIncidents(analysisId, signal), staleTime: 60_000 });
  if (q.error) {
    return (
      <p role="status" className="text-xs text-slate-500">
        Earlier incidents could not be read: {q.error.message}
      </p>
    );
  }
  return q.data ? <SeenBeforeList data={q.data} /> : null;
}

/** The list itself: same workload first, each with its date, top cause, resolution and issue. */
export function SeenBeforeList({ data }: { data: SimilarIncidentsResponse }) {
  if (!data.signature) return null;
  const sig = data.signature.parts;
  return (
    <section aria-label="Seen before" data-testid="seen-before" className="rounded border border-slate-200 p-3 text-sm dark:border-slate-800">
      <h3 className="mb-1 text-sm font-semibold">Seen before</h3>
      <p className="mb-2 text-xs text-slate-500">
        Failure signature <code>{data.signature.signature}</code>: {sig.category}
        {sig.workload ? ` on ${sig.workload.kind.toLowerCase()}/${sig.workload.name} in ${sig.workload.namespace}` : ""}.
      </p>
      {data.incidents.length === 0 ? (
        <p className="text-xs text-slate-500">No earlier incident with this signature.</p>
      ) : (
        <ol className="space-y-2">
          {data.incidents.map((s) => (
            <SeenBeforeItem key={s.analysisId} s={s} />
          ))}
        </ol>
      )}
      {!data.githubConfigured && data.incidents.some((s) => s.issue) && (
        <p className="mt-2 text-xs text-slate-500">GitHub is not configured (GITHUB_TOKEN, GITHUB_REPOSITORY): issue states are the last ones stored.</p>
      )}
      {data.issueStateError && <p className="mt-2 text-xs text-amber-700 dark:text-amber-300">Issue states not refreshed: {data.issueStateError}. Showing the last known.</p>}
    </section>
  );
}

function SeenBeforeItem({ s }: { s: SimilarIncident }) {
  const issueUrl = safeUrl(s.issue?.url);
  return (
    <li className="flex flex-col gap-0.5 [overflow-wrap:anywhere]">
      <div className="flex flex-wrap items-center gap-2">
        <a href={`/analyses/${encodeURIComponent(s.analysisId)}`} className="text-sky-700 underline dark:text-sky-300">
          {new Date(s.createdAt).toLocaleString()}
        </a>
        <Badge variant={s.sameWorkload ? "info" : "muted"}>{s.sameWorkload ? "same workload" : "other workload"}</Badge>
        {s.alertname && <span className="text-xs text-slate-500">{s.alertname}</span>}
        {s.issue && issueUrl && (
          <a href={issueUrl} target="_blank" rel="noopener noreferrer" className="inline-flex items-center gap-1 text-xs text-sky-700 underline dark:text-sky-300">
            Issue #{s.issue.number}
            <Badge variant={ISSUE_BADGE[s.issue.state]}>{s.issue.state === "unknown" ? "state unknown" : s.issue.state}</Badge>
          </a>
        )}
      </div>
      <div className="text-xs text-slate-600 dark:text-slate-400">
        {s.topCause ?? s.category ?? "no cause named"}
        {!s.sameWorkload && s.workloadKey ? ` · ${s.workloadKey}` : ""}
      </div>
      {s.resolution?.fix && <div className="text-xs">Fixed by: {s.resolution.fix}</div>}
    </li>
  );
}
