"use client";

import type { Report } from "@/lib/analysis/api";
import { cn } from "@/lib/utils";
import { SafeMarkdown } from "./safe-markdown";
import { SOURCE_TABS } from "./evidence-focus";

const SOURCE_NAMES: Partial<Record<string, string>> = {
  logs: "Logs",
  previousLogs: "Previous logs",
  events: "Events",
  status: "Pod",
  metrics: "Metrics",
  changes: "Changes",
  neighbourhood: "Neighbourhood",
};

/** A name saying what the button opens, starting with its visible text (WCAG label in name). */
function jumpLabel(source: string | undefined, line: number | undefined): string {
  const visible = `${source ?? "?"}${line ? `:${line}` : ""}`;
  const tab = source && SOURCE_TABS[source] ? SOURCE_NAMES[source] : undefined;
  if (!tab) return `${visible}: no evidence tab to open`;
  return `${visible}: open the ${tab} tab${line ? ` at line ${line}` : " at this quote"}`;
}

export type EvidenceJump = (source: NonNullable<Report["hypotheses"][number]["evidence"][number]["source"]>, line?: number, text?: string) => void;

/** The report: the evidence quotes, each linked to the line or row it quotes, then the markdown from the one renderer. */
export function ReportView({ report, markdown, onJump }: { report: Report; markdown: string; onJump: EvidenceJump }) {
  return (
    <div className="space-y-4">
      {report.source === "offline" && (
        <p className="rounded border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
          {report.offlineReason ? `Offline analysis (Gemini unavailable: ${report.offlineReason})` : "Offline analysis"}
        </p>
      )}
      <section aria-label="Evidence" className="rounded border border-slate-200 p-3 dark:border-slate-800">
        <h3 className="mb-2 text-sm font-semibold">Evidence by hypothesis</h3>
        <ol className="space-y-2 text-sm">
          {report.hypotheses.map((h, i) => (
            <li key={i}>
              <div className="font-medium">
                {i + 1}. {h.title} <span className="text-xs font-normal text-slate-500">({h.likelihood})</span>
              </div>
              <ul className="ml-4 mt-1 space-y-1">
                {h.evidence.map((e, j) => (
                  <li key={j} className="flex items-start gap-2">
                    <button
                      type="button"
                      disabled={!e.source || !SOURCE_TABS[e.source]}
                      onClick={() => e.source && onJump(e.source, e.line, e.text)}
                      aria-label={jumpLabel(e.source, e.line)}
                      className="shrink-0 rounded bg-slate-100 px-1.5 font-mono text-xs text-sky-700 hover:underline disabled:text-slate-600 dark:bg-slate-800 dark:text-sky-300"
                    >
                      {e.source ?? "?"}
                      {e.line ? `:${e.line}` : ""}
                    </button>
                    <code className={cn("wrap-anywhere text-xs", !e.verified && "text-amber-700 dark:text-amber-300")}>{e.text}</code>
                    {!e.verified && <span className="shrink-0 text-xs text-amber-700 dark:text-amber-300">⚠ unverified</span>}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      </section>
      <article className="prose-report text-sm leading-relaxed [overflow-wrap:anywhere]">
        <SafeMarkdown>{markdown}</SafeMarkdown>
      </article>
    </div>
  );
}
