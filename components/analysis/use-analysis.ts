"use client";

import { useEffect, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { analysisKeys, fetchAnalysis, isActive, type Analysis, type ProgressMap } from "@/lib/analysis/api";
import { followProgress } from "./progress-stream";

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
    queryFn: ({ signal }) => fetchAnalysis(id ?? "", signal),
    enabled: !!id,
    refetchInterval: (q) => (q.state.data && isActive(q.state.data) && !streaming ? 5_000 : false),
  });
  // Before the first read, assume a just-started analysis and open the stream at once: it answers
  // `done` immediately for a finished one.
  const active = query.data ? isActive(query.data) : !!id;

  useEffect(() => {
    if (!id || !active) return;
    const close = followProgress(id, {
      onOpen: () => setStreamingId(id),
      onInterrupted: () => setStreamingId(undefined),
      // A reported step means the pipeline runs; an empty snapshot keeps what the status said.
      onProgress: (progress) =>
        setLive((l) => ({ id, progress, status: Object.keys(progress).length ? "running" : l?.id === id ? l.status : undefined })),
      onStatus: (status) => setLive((l) => ({ id, progress: status === "queued" ? {} : l?.id === id ? l.progress : {}, status })),
      onDone: (finished) => {
        const detail = analysisKeys.detail(id);
        // A read started before the end would answer "running" and, being the first, win over a
        // refetch; cancel it, then take the analysis the stream carried (or read it afresh).
        void qc.cancelQueries({ queryKey: detail, exact: true }).then(() => {
          if (finished) qc.setQueryData(detail, finished);
          setStreamingId(undefined);
          void qc.invalidateQueries({ queryKey: analysisKeys.all, predicate: (q) => !finished || q.queryKey[1] !== "detail" || q.queryKey[2] !== id });
        });
      },
    });
    return () => {
      close();
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
