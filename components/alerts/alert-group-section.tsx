"use client";

import { useState } from "react";
import type { ChipHandler } from "@/components/alerts/label-chips";
import type { AlertGroup } from "@/lib/alerts/group";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { cn } from "@/lib/utils";
import { AlertRow, type AlertAnalysisSummary } from "@/components/alerts/alert-row";
import { severityBorder, severityVariant } from "@/components/alerts/severity";
import type { SilenceSummary } from "@/lib/alerts/api";
import type { Alert } from "@/lib/alerts/types";
import { SilenceActions } from "@/components/alerts/silence-actions";

const FIRST_ROWS = 20;
const MORE_ROWS = 100;

/** One collapsible group (open or shut as the list remembers it); rows are revealed in pages so a 5,000-alert group costs 20 rows until asked. */
export function AlertGroupSection({
  group,
  now,
  expanded,
  onToggle,
  analyses,
  silences,
  alertmanagerUrls,
  current,
  onChip,
}: {
  group: AlertGroup;
  now: number;
  expanded: boolean;
  onToggle: (expanded: boolean) => void;
  onChip?: ChipHandler;
  analyses?: Record<string, AlertAnalysisSummary>;
  silences?: Record<string, SilenceSummary>;
  /** Per alert source, its Alertmanager UI's public URL (the row links the alert there). */
  alertmanagerUrls?: Record<string, string>;
  /** The newest answer's alerts while the list is held still: a row shows its current state (a silence just set). */
  current?: ReadonlyMap<string, Alert>;
}) {
  const [limit, setLimit] = useState(FIRST_ROWS);
  const { counts } = group;
  const hidden = group.alerts.length - limit;
  const bodyId = `group-${group.by}-${group.key}`;
  return (
    <section data-testid="alert-group" data-group={group.key} className={cn("rounded-lg border border-l-4 border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900", severityBorder(group.topSeverity))}>
      <div className="flex flex-wrap items-center justify-between gap-2 pr-3">
        {/* A basis wide enough for the title, so on a phone the actions wrap below it instead of cutting it short. */}
        <h2 className="min-w-0 flex-1 basis-64">
          <button
            type="button"
            aria-expanded={expanded}
            aria-controls={bodyId}
            onClick={() => onToggle(!expanded)}
            className="flex w-full flex-wrap items-center gap-2 px-3 py-2 text-left hover:bg-slate-50 dark:hover:bg-slate-800/50"
          >
            <span aria-hidden className={cn("inline-block w-3 text-slate-500 transition-transform", expanded && "rotate-90")}>
              ▶
            </span>
            <span className="font-semibold">{group.title}</span>
            <Badge variant="default" data-testid="group-count" title="alerts in this group">
              {counts.total}
            </Badge>
            {Object.entries(counts.bySeverity).map(([sev, n]) => (
              <Badge key={sev} variant={severityVariant(sev)}>
                {n} {sev || "no severity"}
              </Badge>
            ))}
            {counts.suppressed > 0 && <Badge variant="muted">{counts.suppressed} suppressed</Badge>}
          </button>
        </h2>
        {counts.total > counts.suppressed && (
          <div className="max-sm:pb-2 max-sm:pl-3">
            <SilenceActions alerts={group.alerts} name={`group ${group.title}`} />
          </div>
        )}
      </div>
      {expanded && (
        <div id={bodyId}>
          <ul className="divide-y divide-slate-100 border-t border-slate-100 dark:divide-slate-800 dark:border-slate-800">
            {group.alerts.slice(0, limit).map((a) => (
              <AlertRow
                key={a.fingerprint}
                alert={current?.get(a.fingerprint) ?? a}
                now={now}
                hideLabels={[group.by]}
                showAlertname={group.by !== "alertname"}
                analysis={analyses?.[a.fingerprint]}
                silences={silences}
                alertmanagerUrls={alertmanagerUrls}
                onChip={onChip}
              />
            ))}
          </ul>
          {hidden > 0 && (
            <div className="border-t border-slate-100 px-3 py-2 dark:border-slate-800">
              <Button variant="outline" size="sm" onClick={() => setLimit((l) => l + MORE_ROWS)}>
                Show {Math.min(MORE_ROWS, hidden)} more ({hidden} hidden)
              </Button>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
