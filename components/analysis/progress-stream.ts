"use client";

import { isActive, progressStreamEvents as events, progressStreamUrl, readStreamEvent, type Analysis, type ProgressMap } from "@/lib/analysis/api";

/** What the progress stream of one analysis reports, each event read with its schema (lib/analysis/api). */
export interface ProgressStreamHandlers {
  /** The stream is open (again): progress now arrives live. */
  onOpen: () => void;
  onProgress: (progress: ProgressMap) => void;
  /** queued ↔ running as the server sees it: a requeued analysis waits again behind the backlog. */
  onStatus: (status: "queued" | "running") => void;
  /** The stream dropped or the server asked to reconnect: poll until it opens again, if it does. */
  onInterrupted: () => void;
  /** The analysis ended; `finished` is the analysis the event carried when it is this one, finished. */
  onDone: (finished: Analysis | undefined) => void;
}

/**
 * Follow the server-sent progress of one analysis. A `reconnect` event (the server is shutting down)
 * lets EventSource reconnect after the `retry:` it sent; any other error closes the stream for good.
 * @returns the function that closes the stream.
 */
export function followProgress(id: string, handlers: ProgressStreamHandlers): () => void {
  const es = new EventSource(progressStreamUrl(id));
  let reconnecting = false;
  const data = (ev: Event) => (ev instanceof MessageEvent && typeof ev.data === "string" ? ev.data : "");
  es.addEventListener("progress", (ev) => {
    const progress = readStreamEvent(events.progress, data(ev));
    if (progress) handlers.onProgress(progress);
  });
  es.addEventListener("status", (ev) => {
    const status = readStreamEvent(events.status, data(ev))?.status;
    if (status === "queued" || status === "running") handlers.onStatus(status);
  });
  es.addEventListener("reconnect", () => {
    reconnecting = true;
    handlers.onInterrupted();
  });
  es.onopen = () => {
    reconnecting = false;
    handlers.onOpen();
  };
  es.addEventListener("done", (ev) => {
    es.close();
    const a = readStreamEvent(events.done, data(ev))?.analysis;
    handlers.onDone(a && a.id === id && !isActive(a) ? a : undefined);
  });
  es.onerror = () => {
    if (reconnecting && es.readyState === EventSource.CONNECTING) return;
    es.close();
    handlers.onInterrupted();
  };
  return () => es.close();
}
