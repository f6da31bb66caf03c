"use client";

import { useEffect, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { Analysis, ProgressMap } from "@/lib/analysis/view";
import { analysisKeys, fetchAnalysis } from "./api";

/**
 * One analysis, kept live: while it is queued or running the page listens to the server-sent progress
 * stream and refetches when it ends (polling stays as a fallback if the stream drops).
 */
export function useAnalysis(id: string | undefined) {
  const qc = useQueryClient();
  // Which analysis the progress stream is open for. While it is, polling stays off: the stored progress
  // lags the stream, and a poll landing mid-run would move finished steps back to pending.
  const [streamingId, setStreamingId] = useState<string>();
  // The newest streamed progress and status; they can arrive before the first read of the analysis.
  const [live, setLive] = useState<LiveState>();
  const streaming = !!id && streamingId === id;
  const query = useQuery({
    queryKey: analysisKeys.detail(id ?? ""),
    queryFn: () => fetchAnalysis(id ?? ""),
    enabled: !!id,
    refetchInterval: (q) => (q.state.data && isActive(q.state.data) && !streaming ? 5_000 : false),
  });
  // Before the first read, assume a just-started analysis and open the stream at once: it answers
  // `done` immediately for a finished one.
  const active = query.data ? isActive(query.data) : !!id;

  useEffect(() => {
    if (!id || !active) return;
    const es = new EventSource(`/api/analyses/${encodeURIComponent(id)}/events`);
    es.addEventListener("progress", (ev) => {
      const progress = parseProgress((ev as MessageEvent<string>).data);
      // A reported step means the pipeline runs; an empty snapshot keeps what the status said.
      if (progress) setLive((l) => ({ id, progress, status: Object.keys(progress).length ? "running" : l?.id === id ? l.status : undefined }));
    });
    // queued ↔ running as the server sees it: a requeued analysis waits again behind the backlog.
    es.addEventListener("status", (ev) => {
      const status = parseActiveStatus((ev as MessageEvent<string>).data);
      if (status) setLive((l) => ({ id, progress: status === "queued" ? {} : l?.id === id ? l.progress : {}, status }));
    });
    // The server is shutting down: let EventSource reconnect (after the `retry:` it sent), polling meanwhile.
    let reconnecting = false;
    es.addEventListener("reconnect", () => {
      reconnecting = true;
      setStreamingId(undefined);
    });
    es.onopen = () => {
      reconnecting = false;
      setStreamingId(id);
    };
    es.addEventListener("done", (ev) => {
      es.close();
      const finished = parseFinished((ev as MessageEvent<string>).data, id);
      const detail = analysisKeys.detail(id);
      // A read started before the end would answer "running" and, being the first, win over a
      // refetch; cancel it, then take the analysis the stream carried (or read it afresh).
      void qc.cancelQueries({ queryKey: detail, exact: true }).then(() => {
        if (finished) qc.setQueryData(detail, finished);
        setStreamingId(undefined);
        void qc.invalidateQueries({ queryKey: analysisKeys.all, predicate: (q) => !finished || q.queryKey[1] !== "detail" || q.queryKey[2] !== id });
      });
    });
    es.onerror = () => {
      if (reconnecting && es.readyState === EventSource.CONNECTING) return;
      es.close();
      setStreamingId(undefined);
    };
    return () => {
      es.close();
      setStreamingId(undefined);
    };
  }, [id, active, qc]);

  return { data: withLive(query.data, live), isPending: query.isPending, error: query.error };
}

/** What the stream has said about an active analysis. */
export interface LiveState {
  id: string;
  progress: ProgressMap;
  status?: "queued" | "running";
}

/**
 * The analysis as the page shows it: a read, overlaid while active with the stream's progress. The
 * stream opens with the stored (empty) progress of a queued analysis, so that alone must not turn
 * "queued" into "running": only a status event or a step the pipeline reported does.
 */
export function withLive(a: Analysis | undefined, live: LiveState | undefined): Analysis | undefined {
  if (!a || live?.id !== a.id || !isActive(a)) return a;
  const status = live.status ?? (Object.keys(live.progress).length > 0 ? "running" : a.status);
  return { ...a, status, progress: status === "queued" ? a.progress : live.progress };
}

export function isActive(a: Pick<Analysis, "status">): boolean {
  return a.status === "queued" || a.status === "running";
}

/** The finished analysis a `done` event carries, when it is this one. */
function parseFinished(data: string, id: string): Analysis | undefined {
  try {
    const v: unknown = JSON.parse(data);
    if (!v || typeof v !== "object" || !("analysis" in v)) return undefined;
    const a = v.analysis;
    return a && typeof a === "object" && "id" in a && a.id === id && "status" in a && !isActive(a as Analysis) ? (a as Analysis) : undefined;
  } catch {
    return undefined;
  }
}

function parseActiveStatus(data: string): "queued" | "running" | undefined {
  try {
    const v: unknown = JSON.parse(data);
    const status = v && typeof v === "object" && "status" in v ? v.status : undefined;
    return status === "queued" || status === "running" ? status : undefined;
  } catch {
    return undefined;
  }
}

function parseProgress(data: string): ProgressMap | undefined {
  try {
    const v: unknown = JSON.parse(data);
    return v && typeof v === "object" ? (v as ProgressMap) : undefined;
  } catch {
    return undefined;
  }
}
