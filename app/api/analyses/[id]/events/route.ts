import { getServices } from "@/lib/server/services";
import { withRoute } from "@/lib/server/route";
import { AppError } from "@/lib/errors";
import type { BusEvent } from "@/lib/server/progress-bus";
import type { Analysis } from "@/lib/store";
import { drainingError, isDraining } from "@/lib/server/shutdown";

export const dynamic = "force-dynamic";

/**
 * Server-sent progress of one analysis: `progress` events, then one `done` carrying the finished
 * analysis (as GET /api/analyses/:id returns it), so the page shows the report without another request.
 * When the process shuts down, a `reconnect` event (with `retry:` of 2 s) ends the stream so the browser
 * reconnects, reaching another replica or this one after its restart; while draining, new streams get 503.
 */
export const GET = withRoute<{ id: string }>(async ({ req, params }) => {
  if (isDraining()) throw drainingError();
  const s = await getServices();
  const id = params.id.slice(0, 64);
  const a = await s.store.getAnalysis(id);
  if (!a) throw new AppError("not_found", `No analysis ${id}.`);
  const enc = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      let finishing = false;
      const send = (event: string, data: unknown) => {
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
        void (finished ? Promise.resolve(finished) : s.store.getAnalysis(id))
          .catch(() => undefined)
          .then((now) => {
            send("done", now ? { status: now.status, analysis: now } : { status });
            close();
          });
      };
      const unsubscribe = s.bus.subscribe(id, (e: BusEvent) => {
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
      }, 15_000);
      // The bus only hears this process's handlers: a job requeued or settled by the store (a dead
      // worker's lease expired, another process ran it) shows up here, as a status change or the end.
      let lastStatus = a.status;
      const watch = setInterval(() => {
        void s.store
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
      }, 3_000);
      cleanup = () => {
        unsubscribe();
        clearInterval(heartbeat);
        clearInterval(watch);
      };
      req.signal.addEventListener("abort", close);
      send("progress", s.bus.latest(id) ?? a.progress ?? {});
      // It may have finished between the read and the subscription.
      void s.store.getAnalysis(id).then((now) => {
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
});
