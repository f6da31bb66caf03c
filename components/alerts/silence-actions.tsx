"use client";

import { useState } from "react";
import { prefillMatchers } from "@/lib/alerts/silence-api";
import type { Alert } from "@/lib/alerts/types";
import { Button } from "@/components/ui/button";
import { SilenceDialog } from "@/components/alerts/silence-dialog";
import { useCreateSilence } from "@/components/alerts/use-silences";

/** "Silence…" (a dialog with matchers prefilled from the labels) and one-click "Acknowledge", for an alert or a group. */
export function SilenceActions({ alerts, name }: { alerts: readonly Pick<Alert, "labels" | "sources">[]; name: string }) {
  const [open, setOpen] = useState(false);
  const ack = useCreateSilence();
  // Computed on click, not per render: a group can hold thousands of alerts.
  const matchers = () => prefillMatchers(alerts.map((a) => a.labels));
  const sources = () => [...new Set(alerts.flatMap((a) => a.sources))];
  return (
    <div className="flex flex-wrap items-center gap-1">
      <Button variant="outline" size="sm" aria-label={`Silence ${name}`} onClick={() => setOpen(true)}>
        Silence…
      </Button>
      <Button
        variant="outline"
        size="sm"
        aria-label={`Acknowledge ${name}`}
        disabled={ack.isPending}
        onClick={() => ack.mutate({ ack: true, matchers: matchers(), sources: sources() })}
      >
        {ack.isPending ? "Acknowledging…" : "Acknowledge"}
      </Button>
      {ack.error && (
        <span role="alert" className="text-xs text-red-700 dark:text-red-400">
          {ack.error.message}
        </span>
      )}
      {open && <SilenceDialog title={`Silence ${name}`} initialMatchers={matchers()} sources={sources()} onClose={() => setOpen(false)} />}
    </div>
  );
}

/** "acknowledged by alice until 14:05" (or "silenced by …"), for a row whose alert is silenced. */
export function silenceNote(s: { createdBy: string; endsAt: string; ack: boolean }): string {
  const end = new Date(s.endsAt);
  const sameDay = end.toDateString() === new Date().toDateString();
  const until = end.toLocaleString(undefined, sameDay ? { hour: "2-digit", minute: "2-digit" } : { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  return `${s.ack ? "acknowledged" : "silenced"} by ${s.createdBy} until ${until}`;
}
