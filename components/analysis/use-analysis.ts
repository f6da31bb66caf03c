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
  // The newest streamed progress; it can arrive before the first read of the analysis.
  const [live, setLive] = useState<{ id: string; progress: ProgressMap }>();
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
      if (progress) setLive({ id, progress });
    });
    es.onopen = () => setStreamingId(id);
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
      es.close();
      setStreamingId(undefined);
    };
    return () => {
      es.close();
      setStreamingId(undefined);
    };
  }, [id, active, qc]);

  const data = query.data && live?.id === query.data.id && isActive(query.data) ? { ...query.data, status: "running" as const, progress: live.progress } : query.data;
  return { data, isPending: query.isPending, error: query.error };
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

function parseProgress(data: string): ProgressMap | undefined {
  try {
    const v: unknown = JSON.parse(data);
    return v && typeof v === "object" ? (v as ProgressMap) : undefined;
  } catch {
    return undefined;
  }
}
