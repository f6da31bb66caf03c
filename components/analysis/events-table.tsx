"use client";

import { cn } from "@/lib/utils";

interface EventRow {
  type: string;
  reason: string;
  message: string;
  count: number;
  last: string;
  object: string;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v)) : undefined;
}

/** Normalise a core/v1 (or events.k8s.io) event as the API returns it. */
export function toEventRow(e: Record<string, unknown>): EventRow {
  const involved = obj(e.involvedObject ?? e.regarding);
  const series = obj(e.series);
  const meta = obj(e.metadata);
  return {
    type: str(e.type) || "Normal",
    reason: str(e.reason),
    message: str(e.message) || str(e.note),
    count: typeof e.count === "number" ? e.count : typeof series?.count === "number" ? series.count : 1,
    last: str(e.lastTimestamp) || str(series?.lastObservedTime) || str(e.eventTime) || str(meta?.creationTimestamp),
    object: involved ? `${str(involved.kind)}/${str(involved.name)}` : "",
  };
}

function shortTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(5, 19).replace("T", " ");
}

/** Events, warnings first, then newest first. */
export function EventsTable({ events }: { events: Record<string, unknown>[] }) {
  const rows = events.map(toEventRow).sort((a, b) => (a.type === b.type ? b.last.localeCompare(a.last) : a.type === "Warning" ? -1 : 1));
  if (!rows.length) return <p className="p-3 text-sm text-slate-500">No events were found for this pod or its owner.</p>;
  return (
    <div className="max-h-[70vh] overflow-auto">
    <table className="w-full text-left text-xs">
      <thead className="text-slate-500">
        <tr>
          <th className="p-2">Type</th>
          <th className="p-2">Reason</th>
          <th className="p-2">Count</th>
          <th className="p-2">Last seen</th>
          <th className="p-2">Object</th>
          <th className="p-2">Message</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i} className={cn("border-t border-slate-200 align-top dark:border-slate-800", r.type === "Warning" && "bg-amber-50 dark:bg-amber-950/40")}>
            <td className="p-2">{r.type}</td>
            <td className="p-2 font-medium">{r.reason}</td>
            <td className="p-2">{r.count}</td>
            <td className="whitespace-nowrap p-2" title={r.last}>
              {shortTime(r.last)}
            </td>
            <td className="max-w-40 break-words p-2">{r.object}</td>
            <td className="min-w-72 whitespace-pre-wrap break-words p-2 font-mono">{r.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}
