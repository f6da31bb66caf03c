"use client";

import Link from "next/link";
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { request } from "@/lib/api-client";
import { resolvedAlertsResponseSchema, resolvedAlertsUrl } from "@/lib/alerts/api";

const when = (iso: string) => new Date(iso).toLocaleString();

/** Alerts whose latest episode resolved in the last 24 hours, from the webhook's history; collapsed until asked for. */
export function RecentlyResolved() {
  const [open, setOpen] = useState(false);
  const q = useQuery({
    queryKey: ["alerts", "resolved", 24],
    queryFn: ({ signal }) => request(resolvedAlertsUrl(24), resolvedAlertsResponseSchema, { signal }),
    enabled: open,
    refetchInterval: open ? 30_000 : false,
  });
  return (
    <section aria-labelledby="recently-resolved-heading" className="space-y-2" data-testid="recently-resolved">
      <h2 id="recently-resolved-heading" className="text-base font-semibold">
        <button type="button" aria-expanded={open} onClick={() => setOpen((o) => !o)} className="hover:underline">
          {open ? "▾" : "▸"} Recently resolved (24 hours)
        </button>
      </h2>
      {open && q.error && (
        <p role="alert" className="text-sm text-red-700">
          {q.error.message}
        </p>
      )}
      {open && q.data && q.data.resolved.length === 0 && <p className="text-sm text-slate-600 dark:text-slate-400">No alert resolved in the last 24 hours.</p>}
      {open && q.data && q.data.resolved.length > 0 && (
        <ul className="space-y-1 text-sm">
          {q.data.resolved.map((r) => (
            <li key={r.fingerprint} data-testid="resolved-alert">
              <Link href={`/alerts/${encodeURIComponent(r.fingerprint)}`} className="text-sky-700 underline dark:text-sky-300">
                {r.labels.alertname ?? r.fingerprint}
              </Link>{" "}
              <span className="font-mono text-xs">{[r.labels.namespace, r.labels.pod].filter(Boolean).join("/")}</span>{" "}
              <span className="text-slate-600 dark:text-slate-400">resolved {when(r.endsAt ?? r.receivedAt)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
