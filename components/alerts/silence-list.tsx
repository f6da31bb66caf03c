"use client";

import type { Silence } from "@/lib/alerts/silence-api";
import { formatMatchers } from "@/lib/alerts/matchers";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { SourceErrors } from "@/components/alerts/source-errors";
import { SilenceApiError, useExpireSilence, useSilences } from "@/components/alerts/use-silences";

function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

function SilenceItem({ silence }: { silence: Silence }) {
  const expire = useExpireSilence();
  return (
    <li data-testid="silence" data-silence-id={silence.id} className="flex flex-col gap-2 px-3 py-2 sm:flex-row sm:items-start sm:justify-between">
      <div className="min-w-0 flex-1 space-y-1">
        <code className="block break-all font-mono text-sm">{`{${formatMatchers(silence.matchers)}}`}</code>
        <div className="flex flex-wrap items-center gap-2 text-xs text-slate-600 dark:text-slate-400">
          {silence.ack && <Badge variant="info">acknowledged</Badge>}
          {silence.state === "pending" && <Badge variant="muted">pending</Badge>}
          <span>by {silence.createdBy}</span>
          <span>ends {when(silence.endsAt)}</span>
        </div>
        {silence.comment && <p className="break-words text-sm text-slate-700 dark:text-slate-300">{silence.comment}</p>}
        {expire.error && (
          <p role="alert" className="text-sm text-red-700 dark:text-red-400">
            {expire.error.message} {expire.error.hint}
          </p>
        )}
      </div>
      <Button variant="outline" size="sm" disabled={expire.isPending} aria-label={`Expire silence ${formatMatchers(silence.matchers)}`} onClick={() => expire.mutate({ id: silence.id, sources: silence.sources })}>
        {expire.isPending ? "Expiring…" : "Expire"}
      </Button>
    </li>
  );
}

/** Active and pending silences, one section per Alertmanager (an HA pair's shared silences under the pair). */
export function SilenceList() {
  const query = useSilences();
  const data = query.data;
  if (query.error) {
    return (
      <p role="alert" className="text-sm text-red-700 dark:text-red-400">
        Could not load silences: {query.error.message} {query.error instanceof SilenceApiError ? query.error.hint : ""}
      </p>
    );
  }
  if (!data) return <p className="text-sm text-slate-500">Loading silences…</p>;
  const sections = new Map<string, Silence[]>();
  for (const name of data.alertmanagers) sections.set(name, []);
  for (const s of data.silences) {
    const key = s.sources.join(" + ");
    sections.set(key, [...(sections.get(key) ?? []), s]);
  }
  // A pair's members each have no silence of their own: show the pair once.
  for (const [key, list] of sections) if (list.length === 0 && [...sections.keys()].some((k) => k !== key && k.split(" + ").includes(key))) sections.delete(key);
  return (
    <div className="space-y-4">
      <SourceErrors errors={data.errors} />
      {sections.size === 0 && <p className="text-sm text-slate-600 dark:text-slate-400">No Alertmanager is configured.</p>}
      {[...sections].map(([name, list]) => (
        <section key={name} data-testid="silence-group" className="rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
          <h2 className="border-b border-slate-100 px-3 py-2 font-semibold dark:border-slate-800">
            {name} <span className="text-sm font-normal text-slate-500">({list.length} silence{list.length === 1 ? "" : "s"})</span>
          </h2>
          {list.length === 0 ? (
            <p className="px-3 py-2 text-sm text-slate-600 dark:text-slate-400">No active or pending silences.</p>
          ) : (
            <ul className="divide-y divide-slate-100 dark:divide-slate-800">
              {list.map((s) => (
                <SilenceItem key={s.id} silence={s} />
              ))}
            </ul>
          )}
        </section>
      ))}
    </div>
  );
}
