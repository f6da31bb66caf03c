"use client";

import { useId, useMemo, useRef } from "react";
import { tabProps } from "@/components/ui/tabs";
import type { EvidenceBundle, Report } from "@/lib/analysis/api";
import { cn } from "@/lib/utils";
import { LogViewer } from "./log-viewer";
import { EventsTable } from "./events-table";
import { MetricsTab } from "./metrics-tab";
import { ChangesPanel } from "./changes-panel";
import { NeighbourhoodPanel } from "./neighbourhood-panel";
import { PodTab } from "./pod-tab";
import { SOURCE_TABS, useQuoteFocus, type EvidenceFocus } from "./evidence-focus";

export type EvidenceTab = "logs" | "previousLogs" | "events" | "metrics" | "status" | "changes" | "neighbourhood";

const TABS: { id: EvidenceTab; label: string }[] = [
  { id: "logs", label: "Logs" },
  { id: "previousLogs", label: "Previous logs" },
  { id: "events", label: "Events" },
  { id: "metrics", label: "Metrics" },
  { id: "status", label: "Pod" },
  { id: "changes", label: "Changes" },
  { id: "neighbourhood", label: "Neighbourhood" },
];

const TAB_IDS = TABS.map((t) => t.id);

/** Whether a tab id (an evidence source's, SOURCE_TABS) is one of these tabs. */
export const isEvidenceTab = (t: string): t is EvidenceTab => TABS.some((x) => x.id === t);

/** The raw (redacted) evidence beside the report: logs, previous logs, events, the pod, its changes and its neighbours. */
export function EvidenceTabs({
  bundle,
  report,
  tab,
  onTab,
  focus,
}: {
  bundle: EvidenceBundle;
  report: Report | undefined;
  tab: EvidenceTab;
  onTab: (t: EvidenceTab) => void;
  /** The evidence jumped to last; it applies only while its tab is open. */
  focus?: EvidenceFocus;
}) {
  const cited = useMemo(() => {
    const m = { logs: new Set<number>(), previousLogs: new Set<number>() };
    const quotes = new Map<string, string[]>();
    for (const h of report?.hypotheses ?? [])
      for (const e of h.evidence) {
        if ((e.source === "logs" || e.source === "previousLogs") && e.line) m[e.source].add(e.line);
        const t = e.source && SOURCE_TABS[e.source];
        if (t) quotes.set(t, [...(quotes.get(t) ?? []), e.text]);
      }
    return { ...m, quotes };
  }, [report]);
  const here = focus?.tab === tab ? focus : undefined;
  const focusLine = here?.line;
  const panel = useRef<HTMLDivElement>(null);
  const base = useId();
  const tabs = tabProps(`${base}-evidence`, TAB_IDS, tab, onTab);
  useQuoteFocus(panel, tab === "logs" || tab === "previousLogs" ? [] : (cited.quotes.get(tab) ?? []), tab === "logs" || tab === "previousLogs" ? undefined : here);

  return (
    <div className="flex min-h-0 min-w-0 flex-col rounded border border-slate-200 dark:border-slate-800">
      <div role="tablist" aria-label="Evidence" className="flex flex-wrap border-b border-slate-200 text-sm dark:border-slate-800">
        {TABS.map((t) => (
          <button
            key={t.id}
            {...tabs.tab(t.id)}
            className={cn("shrink-0 whitespace-nowrap px-3 py-1.5", tab === t.id ? "border-b-2 border-sky-600 font-medium" : "text-slate-600 dark:text-slate-400")}
          >
            {t.label}
            {t.id === "events" ? ` (${bundle.events.length})` : ""}
          </button>
        ))}
      </div>
      <div {...tabs.panel} ref={panel} className="min-h-0 min-w-0 flex-1">
        {tab === "logs" && <LogViewer label="Logs" text={bundle.logs} highlights={cited.logs} focusLine={focusLine} />}
        {tab === "previousLogs" && <LogViewer label="Previous logs" text={bundle.previousLogs} highlights={cited.previousLogs} focusLine={focusLine} />}
        {tab === "events" && <EventsTable events={bundle.events} />}
        {tab === "metrics" && <MetricsTab bundle={bundle} />}
        {tab === "status" && <PodTab pod={bundle.pod} />}
        {tab === "changes" && <ChangesPanel bundle={bundle} />}
        {tab === "neighbourhood" && <NeighbourhoodPanel bundle={bundle} />}
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
