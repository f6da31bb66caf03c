"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { fetchQueue, jobKeys, retryJob, type DispatchesView } from "@/lib/jobs/api";

const DISPATCH_STATE: Record<string, string> = { queued: "waiting", running: "starting", done: "started", failed: "failed" };

/** The workflow runs the webhook started, each with its state, and the link to the workflow's runs. */
function DispatchList({ d }: { d: DispatchesView }) {
  return (
    <div className="mt-1" data-testid="queue-dispatches">
      <span className="text-slate-600 dark:text-slate-400">
        Alerts start {d.workflow} on {d.ref}
      </span>
      {d.runsUrl && (
        <a className="ml-2 underline" href={d.runsUrl} target="_blank" rel="noreferrer noopener">
          workflow runs
        </a>
      )}
      {d.recent.length > 0 && (
        <ul aria-label="Workflow dispatches" className="mt-0.5 space-y-0.5">
          {d.recent.slice(0, 5).map((j) => (
            <li key={j.id} data-testid="queue-dispatch" className={j.status === "failed" ? "break-all text-red-700" : "break-all"}>
              <span className="font-mono">{j.alertName ?? "alert"}</span> {j.target ?? ""} ({j.severity ?? "?"}): {DISPATCH_STATE[j.status] ?? j.status}
              {j.status !== "done" && j.lastError ? ` after ${j.attempts} attempt${j.attempts === 1 ? "" : "s"}: ${j.lastError}` : ""}
              {j.status === "done" && d.runsUrl && (
                <a className="ml-1 underline" href={d.runsUrl} target="_blank" rel="noreferrer noopener">
                  runs
                </a>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The automatic-analysis queue: queued, running, failed (with reason and a retry button). */
export function QueuePanel() {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: jobKeys.queue(), queryFn: ({ signal }) => fetchQueue(signal), refetchInterval: 5_000 });
  const retry = useMutation({
    mutationFn: retryJob,
    onSuccess: () => void qc.invalidateQueries({ queryKey: jobKeys.all }),
  });
  if (q.error) return <p className="text-xs text-red-700">Queue status unavailable: {q.error.message}</p>;
  if (!q.data) return null;
  const { counts, failed, running } = q.data;
  const rejected = q.data.rejectedAlerts;
  return (
    <section aria-label="Analysis queue" className="rounded border border-slate-200 p-2 text-xs dark:border-slate-800">
      <div className="flex flex-wrap gap-3">
        <span className="font-semibold">Queue</span>
        <span data-testid="queue-queued">{counts.queued} queued</span>
        <span data-testid="queue-running">
          {counts.running} running (max {q.data.concurrency})
        </span>
        <span>{counts.done} done</span>
        <span data-testid="queue-failed" className={counts.failed ? "text-red-700" : ""}>
          {counts.failed} failed
        </span>
      </div>
      {running.length > 0 && (
        <ul aria-label="Running jobs" className="mt-1 space-y-0.5 text-slate-600 dark:text-slate-400">
          {running.slice(0, 5).map((j) => (
            <li key={j.id} data-testid="queue-running-job" title={j.leaseExpiresAt ? `lease until ${new Date(j.leaseExpiresAt).toLocaleTimeString()}` : undefined}>
              {j.kind} (attempt {j.attempts}) on {j.owner ?? "an unknown worker"}
            </li>
          ))}
        </ul>
      )}
      {q.data.dispatches && (q.data.webhookMode === "dispatch" || q.data.dispatches.recent.length > 0) && <DispatchList d={q.data.dispatches} />}
      {rejected && rejected.total > 0 && (
        <details className="mt-1" data-testid="queue-rejected">
          <summary className="cursor-pointer text-amber-700">
            {rejected.total} webhook alert{rejected.total === 1 ? "" : "s"} rejected (kept: the latest)
          </summary>
          <ul className="mt-0.5 space-y-0.5">
            {rejected.recent.slice(0, 5).map((r, i) => (
              <li key={`${r.receivedAt}-${i}`} className="break-all">
                <span className="font-mono">{r.labels.alertname ?? r.fingerprint ?? "alert"}</span>
                {r.labels.pod ? ` ${r.labels.namespace ?? ""}/${r.labels.pod}` : ""} at {new Date(r.receivedAt).toLocaleTimeString()}: {r.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
      {failed.length > 0 && (
        <ul className="mt-1 space-y-0.5">
          {failed.slice(0, 5).map((j) => (
            <li key={j.id} className="flex gap-2">
              <span className="text-red-700">
                {j.kind} failed after {j.attempts} attempt{j.attempts === 1 ? "" : "s"}: {j.lastError ?? "unknown error"}
              </span>
              <button type="button" className="underline" onClick={() => retry.mutate(j.id)}>
                retry
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
