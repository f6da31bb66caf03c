import "server-only";
import type { Analysis, ProgressStreamData, ProgressStreamEvent } from "@/lib/analysis/api";
import type { ProgressBus, BusEvent } from "@/lib/server/progress-bus";
import type { Store } from "@/lib/store";

/** What the progress stream reads: the store for the analysis, the bus for live progress (every replica's, on PostgreSQL). */
export interface AnalysisEventsDeps {
  store: Pick<Store, "getAnalysis">;
  bus: Pick<ProgressBus, "subscribe" | "latest">;
}

const HEARTBEAT_MS = 15_000;
const WATCH_MS = 3_000;

/**
 * Server-sent progress of one analysis (the events of lib/analysis/api progressStreamEvents):
 * `progress` events, then one `done` carrying the finished analysis (as GET /api/analyses/:id returns
 * it), so the page shows the report without another request. When the process shuts down, a `reconnect`
 * event (with `retry:` of 2 s) ends the stream so the browser reconnects, reaching another replica or
 * this one after its restart. The stream ends when `signal` aborts (the client went away).
 */
export function analysisEventsResponse(deps: AnalysisEventsDeps, a: Analysis, signal: AbortSignal): Response {
  const { store, bus } = deps;
  const id = a.id;
  const enc = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      let finishing = false;
      const send = <E extends ProgressStreamEvent>(event: E, data: ProgressStreamData<E>) => {
        if (!closed) controller.enqueue(enc.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      };
      const close = () => {
        if (closed) return;
        closed = true;
        cleanup();
        controller.close();
      };
      const finish = (status: string, finished?: Analysis) => {
        if (finishing) return;
        finishing = true;
        void (finished ? Promise.resolve(finished) : store.getAnalysis(id))
          .catch(() => undefined)
          .then((now) => {
            send("done", now ? { status: now.status, analysis: now } : { status });
            close();
          });
      };
      const unsubscribe = bus.subscribe(id, (e: BusEvent) => {
        if (e.type === "progress") {
          if (!finishing) send("progress", e.progress);
        } else if (e.type === "shutdown") {
          if (finishing || closed) return;
          finishing = true;
          controller.enqueue(enc.encode("retry: 2000\n"));
          send("reconnect", { reason: "The console is shutting down; reconnect to follow the analysis." });
          close();
        } else finish(e.status);
      });
      const heartbeat = setInterval(() => {
        if (!closed) controller.enqueue(enc.encode(": keep-alive\n\n"));
      }, HEARTBEAT_MS);
      // The bus hears this process's handlers, and other replicas' over the bridge, but not a job requeued or
      // settled by the store (a dead worker's lease expired), nor what was sent while the bridge reconnected:
      // those show up here, as a status change or the end.
      let lastStatus = a.status;
      const watch = setInterval(() => {
        void store
          .getAnalysis(id)
          .then((now) => {
            if (!now || finishing) return;
            if (now.status === "done" || now.status === "failed") finish(now.status, now);
            else if (now.status !== lastStatus) {
              lastStatus = now.status;
              send("status", { status: now.status });
            }
          })
          .catch(() => undefined);
      }, WATCH_MS);
      cleanup = () => {
        unsubscribe();
        clearInterval(heartbeat);
        clearInterval(watch);
      };
      signal.addEventListener("abort", close);
      send("progress", bus.latest(id) ?? a.progress ?? {});
      // It may have finished between the read and the subscription.
      void store.getAnalysis(id).then((now) => {
        if (now && (now.status === "done" || now.status === "failed")) finish(now.status, now);
      });
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", connection: "keep-alive" },
  });
}
