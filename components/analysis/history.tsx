"use client";

import Link from "next/link";
import { useEffect, useRef } from "react";
import { useRouter, useSearchParams } from "next/navigation";
import { useQuery } from "@tanstack/react-query";
import { describeSearch, SearchSnippet } from "@/components/analysis/history-search";
import { analysisKeys, fetchAnalyses } from "@/lib/analysis/api";
import { cn } from "@/lib/utils";
import { VerdictBadge } from "@/components/feedback/verdict-badge";

/** Rows per page; "Older analyses" pages on with the store's cursor. */
const PAGE = 200;

const SINCE: Record<string, number | undefined> = { "1h": 3600, "24h": 86400, "7d": 7 * 86400, all: undefined };
const WINDOW_LABEL: Record<string, string> = { "1h": "last hour", "24h": "last 24 hours", "7d": "last 7 days", all: "all time" };
const SELECT = "rounded border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-950";

/** History of analyses, searchable and filterable by alert, namespace, status, source and time; all of it lives in the URL. */
export function AnalysisHistory() {
  const sp = useSearchParams();
  const router = useRouter();
  const search = sp.get("q") ?? "";
  const alertname = sp.get("alertname") ?? "";
  const namespace = sp.get("namespace") ?? "";
  const status = sp.get("status") ?? "";
  const source = sp.get("source") ?? "";
  const window = sp.get("since") ?? "24h";
  const seconds = SINCE[window];
  const cursor = sp.get("cursor") ?? undefined;
  const filter = { q: search || undefined, alertname: alertname || undefined, namespace: namespace || undefined, status: status || undefined, source: source || undefined, window, limit: String(PAGE), cursor };
  const formRef = useRef<HTMLFormElement>(null);
  // Back and forward change the URL under the boxes: show its values. Only navigation or applying the
  // boxes changes these three, so nothing typed and not yet applied is overwritten. Not on mount: the
  // boxes start with the URL's values (defaultValue), and text typed before hydration must survive it.
  const shown = useRef({ search, alertname, namespace });
  useEffect(() => {
    const form = formRef.current;
    const before = shown.current;
    shown.current = { search, alertname, namespace };
    if (!form) return;
    for (const [name, value, was] of [["q", search, before.search], ["alertname", alertname, before.alertname], ["namespace", namespace, before.namespace]] as const) {
      const el = form.elements.namedItem(name);
      if (value !== was && el instanceof HTMLInputElement && el.value !== value) el.value = value;
    }
  }, [search, alertname, namespace]);
  const q = useQuery({
    queryKey: analysisKeys.list(filter),
    queryFn: ({ signal }) =>
      fetchAnalyses(
        {
          q: filter.q,
          alertname: filter.alertname,
          namespace: filter.namespace,
          status: filter.status,
          source: filter.source,
          match: "prefix",
          limit: filter.limit,
          cursor: filter.cursor,
          since: seconds ? new Date(Date.now() - seconds * 1000).toISOString() : undefined,
        },
        signal,
      ),
    refetchInterval: 10_000,
  });
  const searching = Boolean(q.data?.terms?.length);

  /** Change filters (back to the first page) or the page: the URL holds both, a history entry each so Back undoes it. */
  const set = (changes: Record<string, string>) => {
    const next = new URLSearchParams(sp.toString());
    if (!("cursor" in changes)) next.delete("cursor");
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (next.toString() !== sp.toString()) router.push(`/analyses?${next}`);
  };
  // Enter in any box applies them all (a form submit); leaving a box applies it too.
  const apply = (form: HTMLFormElement) => {
    const v = (name: string) => String(new FormData(form).get(name) ?? "").trim();
    const words = v("q");
    // Past incidents are rarely from today: a new search without a chosen window looks in all time.
    set({ q: words, alertname: v("alertname"), namespace: v("namespace"), ...(words && words !== search && !sp.get("since") ? { since: "all" } : {}) });
  };

  return (
    <div className="space-y-3">
      <form
        ref={formRef}
        role="search"
        className="flex flex-wrap gap-2 text-sm"
        onSubmit={(e) => {
          e.preventDefault();
          apply(e.currentTarget);
        }}
      >
        <input
          name="q"
          type="search"
          aria-label="Search analyses"
          placeholder="Search: pod, error, cause…"
          maxLength={200}
          defaultValue={search}
          onBlur={(e) => e.currentTarget.form && apply(e.currentTarget.form)}
          className="min-w-0 flex-1 basis-64 rounded border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-950"
        />
        <input name="alertname" aria-label="Alert name (starts with)" placeholder="alertname" defaultValue={alertname} onBlur={(e) => e.currentTarget.form && apply(e.currentTarget.form)} className="rounded border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-950" />
        <input name="namespace" aria-label="Namespace (starts with)" placeholder="namespace" defaultValue={namespace} onBlur={(e) => e.currentTarget.form && apply(e.currentTarget.form)} className="rounded border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-950" />
        <button type="submit" className="sr-only">
          Apply filters
        </button>
        <select aria-label="Time window" value={window} onChange={(e) => set({ since: e.target.value })} className={SELECT}>
          {Object.entries(WINDOW_LABEL).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        <select aria-label="Status" value={status} onChange={(e) => set({ status: e.target.value })} className={SELECT}>
          <option value="">any status</option>
          <option value="done">done</option>
          <option value="failed">failed</option>
          <option value="running">running</option>
          <option value="queued">queued</option>
        </select>
        <select aria-label="Report source" value={source} onChange={(e) => set({ source: e.target.value })} className={SELECT}>
          <option value="">any source</option>
          <option value="gemini">Gemini</option>
          <option value="offline">offline analyzer</option>
        </select>
      </form>
      {q.error && <p role="alert" className="text-sm text-red-700">{q.error.message}</p>}
      {searching && <p className="text-xs text-slate-500">Best matches first (newer ones weigh more); unquoted words match as prefixes, &quot;quoted words&quot; as a phrase.</p>}
      {q.data && q.data.analyses.length === 0 && (
        <p role="status" data-testid="history-empty" className="text-sm text-slate-500">
          {describeSearch({ q: search, alertname, namespace, status, source, windowLabel: WINDOW_LABEL[window] ?? window }, q.data.terms)}{" "}
          {window !== "all" && (
            <button type="button" className="text-sky-700 underline dark:text-sky-300" onClick={() => set({ since: "all" })}>
              Look in all time
            </button>
          )}
        </p>
      )}
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
              {searching && <th className="p-2">Where it matched</th>}
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
                {searching && <td className="min-w-64 p-2">{a.snippet ? <SearchSnippet parts={a.snippet} /> : null}</td>}
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
