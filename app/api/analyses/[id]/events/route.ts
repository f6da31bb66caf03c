import { getServices } from "@/lib/server/services";
import { withRoute } from "@/lib/server/route";
import { AppError } from "@/lib/errors";
import type { BusEvent } from "@/lib/server/progress-bus";

export const dynamic = "force-dynamic";

/** Server-sent progress of one analysis: `progress` events, then one `done`. */
export const GET = withRoute<{ id: string }>(async ({ req, params }) => {
  const s = await getServices();
  const id = params.id.slice(0, 64);
  const a = await s.store.getAnalysis(id);
  if (!a) throw new AppError("not_found", `No analysis ${id}.`);
  const enc = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      const send = (event: string, data: unknown) => {
        if (!closed) controller.enqueue(enc.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      };
      const close = () => {
        if (closed) return;
        closed = true;
        cleanup();
        controller.close();
      };
      const onEvent = (e: BusEvent) => {
        if (e.type === "progress") send("progress", e.progress);
        else {
          send("done", { status: e.status });
          close();
        }
      };
      const unsubscribe = s.bus.subscribe(id, onEvent);
      const heartbeat = setInterval(() => {
        if (!closed) controller.enqueue(enc.encode(": keep-alive\n\n"));
      }, 15_000);
      cleanup = () => {
        unsubscribe();
        clearInterval(heartbeat);
      };
      req.signal.addEventListener("abort", close);
      send("progress", s.bus.latest(id) ?? a.progress ?? {});
      // It may have finished between the read and the subscription.
      void s.store.getAnalysis(id).then((now) => {
        if (now && (now.status === "done" || now.status === "failed")) onEvent({ type: "done", status: now.status });
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
