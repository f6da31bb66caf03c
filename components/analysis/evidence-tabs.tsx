"use client";

import { useMemo } from "react";
import type { EvidenceBundle, Report } from "@/lib/analysis/api";
import { cn } from "@/lib/utils";
import { LogViewer } from "./log-viewer";
import { EventsTable } from "./events-table";
import { MetricsTab } from "./metrics-tab";

export type EvidenceTab = "logs" | "previousLogs" | "events" | "metrics" | "status";

const TABS: { id: EvidenceTab; label: string }[] = [
  { id: "logs", label: "Logs" },
  { id: "previousLogs", label: "Previous logs" },
  { id: "events", label: "Events" },
  { id: "metrics", label: "Metrics" },
  { id: "status", label: "Pod status" },
];

/** The raw (redacted) evidence beside the report: logs, previous logs, events and the pod object. */
export function EvidenceTabs({
  bundle,
  report,
  tab,
  onTab,
  focusLine,
}: {
  bundle: EvidenceBundle;
  report: Report | undefined;
  tab: EvidenceTab;
  onTab: (t: EvidenceTab) => void;
  focusLine?: number;
}) {
  const cited = useMemo(() => {
    const m = { logs: new Set<number>(), previousLogs: new Set<number>() };
    for (const h of report?.hypotheses ?? [])
      for (const e of h.evidence) if ((e.source === "logs" || e.source === "previousLogs") && e.line) m[e.source].add(e.line);
    return m;
  }, [report]);

  return (
    <div className="flex min-h-0 min-w-0 flex-col rounded border border-slate-200 dark:border-slate-800">
      <div role="tablist" className="flex flex-wrap border-b border-slate-200 text-sm dark:border-slate-800">
        {TABS.map((t) => (
          <button
            key={t.id}
            role="tab"
            type="button"
            aria-selected={tab === t.id}
            onClick={() => onTab(t.id)}
            className={cn("px-3 py-1.5", tab === t.id ? "border-b-2 border-sky-600 font-medium" : "text-slate-500")}
          >
            {t.label}
            {t.id === "events" ? ` (${bundle.events.length})` : ""}
          </button>
        ))}
      </div>
      <div role="tabpanel" className="min-h-0 flex-1">
        {tab === "logs" && <LogViewer label="Logs" text={bundle.logs} highlights={cited.logs} focusLine={focusLine} />}
        {tab === "previousLogs" && <LogViewer label="Previous logs" text={bundle.previousLogs} highlights={cited.previousLogs} focusLine={focusLine} />}
        {tab === "events" && <EventsTable events={bundle.events} />}
        {tab === "metrics" && <MetricsTab bundle={bundle} />}
        {tab === "status" && (
          <pre className="max-h-[70vh] overflow-auto p-3 text-[11px]">{bundle.pod ? JSON.stringify(bundle.pod.status ?? bundle.pod, null, 2) : "The pod was not found."}</pre>
        )}
      </div>
      {bundle.errors.length > 0 && (
        <ul className="border-t border-slate-200 p-2 text-xs text-amber-800 dark:border-slate-800 dark:text-amber-200">
          {bundle.errors.map((e, i) => (
            <li key={i}>
              ⚠ {e.part}: {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
