"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { analysisKeys, fetchAnalyses } from "@/lib/analysis/api";
import { cn } from "@/lib/utils";
import { VerdictBadge } from "@/components/feedback/verdict-badge";

/** Rows per page; "Older analyses" pages on with the store's cursor. */
const PAGE = 200;

const SINCE: Record<string, number | undefined> = { "1h": 3600, "24h": 86400, "7d": 7 * 86400, all: undefined };

/** History of analyses, filterable by alert, namespace and time; filters live in the URL. */
export function AnalysisHistory() {
  const sp = useSearchParams();
  const router = useRouter();
  const alertname = sp.get("alertname") ?? "";
  const namespace = sp.get("namespace") ?? "";
  const window = sp.get("since") ?? "24h";
  const seconds = SINCE[window];
  const cursor = sp.get("cursor") ?? undefined;
  const filter = { alertname: alertname || undefined, namespace: namespace || undefined, window, limit: String(PAGE), cursor };
  const q = useQuery({
    queryKey: analysisKeys.list(filter),
    queryFn: ({ signal }) =>
      fetchAnalyses(
        {
          alertname: filter.alertname,
          namespace: filter.namespace,
          match: "prefix",
          limit: filter.limit,
          cursor: filter.cursor,
          since: seconds ? new Date(Date.now() - seconds * 1000).toISOString() : undefined,
        },
        signal,
      ),
    refetchInterval: 10_000,
  });

  /** Change filters (back to the newest page) or the page: the URL holds both. */
  const set = (changes: Record<string, string>) => {
    const next = new URLSearchParams(sp.toString());
    if (!("cursor" in changes)) next.delete("cursor");
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (next.toString() !== sp.toString()) router.replace(`/analyses?${next}`);
  };
  // Enter in either box applies both (a form submit); leaving a box applies it too.
  const apply = (form: HTMLFormElement) => {
    const v = (name: string) => String(new FormData(form).get(name) ?? "").trim();
    set({ alertname: v("alertname"), namespace: v("namespace") });
  };

  return (
    <div className="space-y-3">
      <form
        className="flex flex-wrap gap-2 text-sm"
        onSubmit={(e) => {
          e.preventDefault();
          apply(e.currentTarget);
        }}
      >
        <input name="alertname" aria-label="Alert name (starts with)" placeholder="alertname" defaultValue={alertname} onBlur={(e) => e.currentTarget.form && apply(e.currentTarget.form)} className="rounded border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-950" />
        <input name="namespace" aria-label="Namespace (starts with)" placeholder="namespace" defaultValue={namespace} onBlur={(e) => e.currentTarget.form && apply(e.currentTarget.form)} className="rounded border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-950" />
        <button type="submit" className="sr-only">
          Apply filters
        </button>
        <select aria-label="Time window" value={window} onChange={(e) => set({ since: e.target.value })} className="rounded border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-950">
          <option value="1h">last hour</option>
          <option value="24h">last 24 hours</option>
          <option value="7d">last 7 days</option>
          <option value="all">all time</option>
        </select>
      </form>
      {q.error && <p role="alert" className="text-sm text-red-700">{q.error.message}</p>}
      {q.data && q.data.analyses.length === 0 && <p className="text-sm text-slate-500">No analyses match these filters.</p>}
      {q.data && q.data.analyses.length > 0 && (
        // On a phone the table scrolls inside its own box, never the page.
        <div className="max-w-full overflow-x-auto" role="region" aria-label="Analyses" tabIndex={0}>
        <table className="w-full text-left text-sm">
          <thead className="text-xs text-slate-500">
            <tr>
              <th className="p-2">Started</th>
              <th className="p-2">Alert</th>
              <th className="p-2">Target</th>
              <th className="p-2">Status</th>
              <th className="p-2">Top hypothesis</th>
              <th className="p-2">Who</th>
              <th className="p-2">Issue</th>
              <th className="p-2">Feedback</th>
            </tr>
          </thead>
          <tbody>
            {q.data.analyses.map((a) => (
              <tr key={a.id} className="border-t border-slate-200 align-top dark:border-slate-800">
                <td className="whitespace-nowrap p-2">
                  <Link className="text-sky-700 underline dark:text-sky-300" href={`/analyses/${a.id}`}>
                    {new Date(a.createdAt).toLocaleString()}
                  </Link>
                </td>
                <td className="p-2">{a.alertname ?? "—"}</td>
                <td className="p-2 font-mono text-xs">{a.target ? `${a.target.namespace}/${a.target.pod}` : "—"}</td>
                <td className={cn("p-2", a.status === "failed" && "text-red-700")}>
                  {a.status}
                  {a.source ? ` (${a.source})` : ""}
                  {a.resolvedAt ? " · resolved" : ""}
                </td>
                <td className="p-2">{a.topHypothesis?.title ?? ""}</td>
                <td className="p-2 text-xs">
                  {a.startedBy ?? "—"} <span className="text-slate-500">({a.trigger})</span>
                </td>
                <td className="p-2 text-xs">
                  {a.issueUrl ? (
                    <a className="text-sky-700 underline dark:text-sky-300" href={a.issueUrl} target="_blank" rel="noopener noreferrer">
                      #{a.issueNumber}
                    </a>
                  ) : (
                    ""
                  )}
                  {a.filedBy ? <span className="text-slate-500"> by {a.filedBy}</span> : null}
                </td>
                <td className="p-2 text-xs">{a.feedback ? <VerdictBadge feedback={a.feedback} /> : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
      {(cursor || q.data?.nextCursor) && (
        <nav aria-label="History pages" className="flex gap-3 text-sm">
          {cursor && (
            <button type="button" className="text-sky-700 underline dark:text-sky-300" onClick={() => set({})}>
              Newest
            </button>
          )}
          {q.data?.nextCursor && (
            <button type="button" data-testid="history-older" className="text-sky-700 underline dark:text-sky-300" onClick={() => set({ cursor: q.data?.nextCursor ?? "" })}>
              Older analyses
            </button>
          )}
        </nav>
      )}
    </div>
  );
}
