"use client";

import { useEffect, useMemo, useRef, useState } from "react";
import { cn } from "@/lib/utils";

const MAX_RENDERED = 20_000;

/** Log text with line numbers, evidence lines highlighted, a search box, and jump-to-line. */
export function LogViewer({ text, highlights, focusLine, label }: { text: string | undefined; highlights: Set<number>; focusLine?: number; label: string }) {
  const [query, setQuery] = useState("");
  const lines = useMemo(() => (text ? text.replace(/\r\n/g, "\n").replace(/\n$/, "").split("\n") : []), [text]);
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    const all = lines.map((l, i) => ({ n: i + 1, l }));
    const filtered = q ? all.filter((x) => x.l.toLowerCase().includes(q)) : all;
    return filtered.length > MAX_RENDERED ? filtered.slice(-MAX_RENDERED) : filtered;
  }, [lines, query]);
  const container = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!focusLine) return;
    container.current?.querySelector(`[data-line="${focusLine}"]`)?.scrollIntoView({ block: "center" });
  }, [focusLine, shown]);

  if (text === undefined) return <p className="p-3 text-sm text-slate-500">No {label.toLowerCase()} were gathered.</p>;
  if (!text.trim()) return <p className="p-3 text-sm text-slate-500">The container wrote nothing here (it may not have started yet).</p>;
  return (
    <div className="flex h-full flex-col">
      <div className="flex items-center gap-2 border-b border-slate-200 p-2 text-xs dark:border-slate-800">
        <input
          type="search"
          aria-label={`Search ${label.toLowerCase()}`}
          placeholder="Search…"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          className="w-56 rounded border border-slate-300 px-2 py-0.5 dark:border-slate-700 dark:bg-slate-950"
        />
        <span className="text-slate-500">
          {query ? `${shown.length} matching of ` : ""}
          {lines.length} lines · {highlights.size} evidence line{highlights.size === 1 ? "" : "s"}
        </span>
      </div>
      <div ref={container} role="log" aria-label={label} tabIndex={0} className="max-h-[70vh] overflow-auto bg-slate-950 py-1 font-mono text-[11px] leading-4 text-slate-200">
        {shown.map(({ n, l }) => (
          <div
            key={n}
            data-line={n}
            data-evidence={highlights.has(n) || undefined}
            className={cn("flex whitespace-pre", highlights.has(n) && "bg-amber-500/25", focusLine === n && "outline outline-1 outline-amber-400")}
          >
            <span className="sticky left-0 w-14 shrink-0 select-none bg-slate-950 pr-2 text-right text-slate-400">{n}</span>
            <span>{l}</span>
          </div>
        ))}
      </div>
    </div>
  );
}
