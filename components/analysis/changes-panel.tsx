"use client";

import { Fragment } from "react";
import type { EvidenceBundle } from "@/lib/analysis/api";
import { diffRevisions, relativeToAlert, type RevisionDiff } from "@/lib/cluster/revision-diff";
import { sortRevisions } from "@/lib/cluster/workload-view";
import { cn } from "@/lib/utils";
import { AbsentPart } from "./absent-part";
import { ConditionList } from "./neighbourhood-parts";
import { QUOTE_CLASS } from "./evidence-focus";

const REVISIONED = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

function shortTime(iso: string | undefined): string {
  const t = Date.parse(iso ?? "");
  return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 16).replace("T", " ") + " UTC" : "unknown time";
}

/** Where the alert-start marker goes in a newest-first timeline: before the first revision older than the alert. */
export function alertMarkerIndex(diffs: readonly RevisionDiff[], alertStart: string | undefined): number | undefined {
  if (!Number.isFinite(Date.parse(alertStart ?? ""))) return undefined;
  const i = diffs.findIndex((d) => (d.minutesBeforeAlert ?? -Infinity) >= 0);
  return i === -1 ? diffs.length : i;
}

/** The workload's revisions, newest first, each with its diff against the one before and the alert start marked. */
export function ChangesPanel({ bundle }: { bundle: EvidenceBundle }) {
  const w = bundle.workload;
  if (!w) {
    return (
      <AbsentPart
        bundle={bundle}
        parts={["workload"]}
        fallback="No owning workload was gathered: the pod has no controller (a bare pod), or this analysis predates revision gathering. Re-analyze to read it."
      />
    );
  }
  const alertStart = bundle.alert.startsAt;
  const revisions = sortRevisions(w.revisions);
  const diffs = revisions.map((rev, i) => diffRevisions(rev, revisions[i + 1], alertStart));
  const marker = alertMarkerIndex(diffs, alertStart);
  const chain = [...w.owners].reverse().map((o) => `${o.kind} ${o.name}`).join(" → ");

  const markerItem = (
    <li data-testid="alert-marker" className="flex items-center gap-2 py-1 text-xs font-semibold text-red-700 dark:text-red-300">
      <span aria-hidden="true" className="h-px flex-1 bg-red-400" />
      Alert started {shortTime(alertStart)}
      <span aria-hidden="true" className="h-px flex-1 bg-red-400" />
    </li>
  );

  return (
    <div tabIndex={0} className="max-h-[70vh] space-y-3 overflow-auto p-3 text-sm" data-testid="changes-panel">
      <div>
        <h3 className="font-semibold">
          Changes to {w.kind} {w.name}
        </h3>
        {chain && <p className="break-words text-xs text-slate-500">Owners: {chain} → Pod</p>}
      </div>
      <ConditionList title="Workload conditions" object={w.object} />
      {diffs.length === 0 ? (
        REVISIONED.has(w.kind) ? (
          <AbsentPart bundle={bundle} parts={["workload"]} fallback={`No revisions of ${w.kind} ${w.name} were returned.`} />
        ) : (
          <p className="text-slate-500">A {w.kind} keeps no revision history; there is nothing to compare.</p>
        )
      ) : (
        <ol aria-label="Revision timeline, newest first" className="space-y-3 border-l-2 border-slate-200 pl-3 dark:border-slate-700">
          {diffs.map((d, i) => (
            <Fragment key={d.current.name || i}>
              {marker === i && markerItem}
              <RevisionItem diff={d} current={i === 0} />
            </Fragment>
          ))}
          {marker === diffs.length && markerItem}
        </ol>
      )}
      {diffs.length > 0 && bundle.errors.some((e) => e.part === "workload") && <AbsentPart bundle={bundle} parts={["workload"]} fallback="" />}
    </div>
  );
}

function RevisionItem({ diff, current }: { diff: RevisionDiff; current: boolean }) {
  const { current: rev, previous } = diff;
  const lines = diff.summary.slice(1);
  return (
    <li data-revision={rev.revision} className="space-y-1">
      <h4 data-quote={diff.summary[0]} className={cn("rounded px-1 font-medium", QUOTE_CLASS)}>
        {rev.revision !== undefined ? `Revision ${rev.revision}` : rev.name}
        {current && <span className="ml-2 rounded bg-sky-100 px-1 text-xs text-sky-800 dark:bg-sky-900 dark:text-sky-100">current</span>}
        <span className="ml-2 text-xs font-normal text-slate-500">
          {diff.minutesBeforeAlert !== undefined ? relativeToAlert(diff.minutesBeforeAlert) : `created ${shortTime(rev.createdAt)}`}
        </span>
      </h4>
      <p className="break-words text-xs text-slate-500">
        {rev.name} · created {shortTime(rev.createdAt)} · {rev.changeCause ? <>change-cause: <q>{rev.changeCause}</q></> : "no change-cause recorded"}
      </p>
      {!previous ? (
        <p className="text-xs text-slate-500">The oldest revision kept: nothing earlier to compare with.</p>
      ) : lines.length === 0 ? (
        <p className="text-xs text-slate-500">No change to the pod template since revision {previous.revision ?? previous.name} (a scale or metadata change).</p>
      ) : (
        <ul aria-label={`Changes since revision ${previous.revision ?? previous.name}`} className="space-y-0.5 break-all font-mono text-xs">
          {lines.map((line, j) => (
            <li key={j} data-quote={line} className={cn("rounded px-1", QUOTE_CLASS)}>
              {line}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}
