"use client";

import { cn } from "@/lib/utils";
import { eventRows } from "@/lib/cluster/view";
import { QUOTE_CLASS } from "./evidence-focus";

function shortTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(5, 19).replace("T", " ");
}

/** Events, warnings first, then newest first. */
export function EventsTable({ events }: { events: Record<string, unknown>[] }) {
  const rows = eventRows(events);
  if (!rows.length) return <p className="p-3 text-sm text-slate-500">No events were found for this pod or its owner.</p>;
  return (
    <div tabIndex={0} className="max-h-[70vh] overflow-auto">
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
          <tr key={i} data-quote={`${r.reason} ${r.message}`} className={cn("border-t border-slate-200 align-top dark:border-slate-800", r.type === "Warning" && "bg-amber-50 dark:bg-amber-950/40", QUOTE_CLASS)}>
            <td className="p-2">{r.type}</td>
            <td className="p-2 font-medium">{r.reason}</td>
            <td className="p-2">{r.count}</td>
            <td className="whitespace-nowrap p-2" title={r.lastSeen}>
              {shortTime(r.lastSeen)}
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
