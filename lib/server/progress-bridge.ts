import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type pg from "pg";
import { z } from "zod";
import { progressMapSchema } from "@/lib/analysis/api";
import { describeError } from "@/lib/errors";
import type { ProgressBridge, SharedBusEvent } from "@/lib/server/progress-bus";

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; larger events travel as a reference to the row. */
const MAX_PAYLOAD_BYTES = 7900;
export const PROGRESS_CHANNEL = "triage_progress";

const messageSchema = z.object({
  o: z.string().max(64),
  a: z.string().min(1).max(128),
  e: z.union([
    z.object({ type: z.literal("progress"), progress: progressMapSchema }),
    z.object({ type: z.literal("done"), status: z.string().max(32) }),
    /** Too large to send: read the analysis's stored progress. */
    z.object({ type: z.literal("stored") }),
  ]),
});

export interface PgProgressBridgeOptions {
  /** The dedicated listening connection (LISTEN needs a session of its own, outside the pool). */
  client: () => pg.Client;
  /** Where NOTIFY is sent from: the store's pool; sends are serialised, so they commit, and arrive, in order. */
  db: Pick<Kysely<unknown>, "getExecutor">;
  /** The stored status and progress of an analysis, for events too large to send and to catch up after a reconnect. */
  read(analysisId: string): Promise<{ status: string; progress?: unknown } | undefined>;
  log?: { warn(obj: object, msg: string): void };
  /** Reconnect backoff: doubles from minMs to maxMs, jittered. */
  backoff?: { minMs?: number; maxMs?: number };
}

/**
 * The progress bus across replicas over PostgreSQL's LISTEN/NOTIFY. Each replica's bus sends what it
 * publishes with pg_notify and listens on one dedicated connection; after a dropped connection it
 * reconnects with backoff, listens again and replays the stored progress (or the end) of the analyses
 * its browsers watch, since notifications sent while it was away are lost. Events from itself are skipped
 * (the bus delivered them already). Delivery keeps each analysis's order, also around a row read.
 */
export function createPgProgressBridge(options: PgProgressBridgeOptions): ProgressBridge & { listening(): Promise<void> } {
  const origin = randomUUID();
  const minMs = options.backoff?.minMs ?? 100;
  const maxMs = options.backoff?.maxMs ?? 5000;
  let sending: Promise<unknown> = Promise.resolve();
  let client: pg.Client | undefined;
  let closed = false;
  let delay = minMs;
  let timer: NodeJS.Timeout | undefined;
  let deliver: (analysisId: string, event: SharedBusEvent) => void = () => undefined;
  let watched: () => string[] = () => [];
  const chains = new Map<string, Promise<void>>();
  let onListening: (() => void)[] = [];
  let isListening = false;

  /** Run step after every earlier delivery for this analysis. */
  function inOrder(analysisId: string, step: () => Promise<void> | void): void {
    const next = (chains.get(analysisId) ?? Promise.resolve()).then(step).catch((e: unknown) => options.log?.warn({ err: describeError(e), analysisId }, "progress from another replica lost"));
    chains.set(analysisId, next);
    void next.then(() => {
      if (chains.get(analysisId) === next) chains.delete(analysisId);
    });
  }

  async function fromStore(analysisId: string, endedToo: boolean): Promise<void> {
    const row = await options.read(analysisId);
    if (!row) return;
    if (row.status === "done" || row.status === "failed") {
      if (endedToo) deliver(analysisId, { type: "done", status: row.status });
    } else {
      const progress = progressMapSchema.safeParse(row.progress ?? {});
      if (progress.success) deliver(analysisId, { type: "progress", progress: progress.data });
    }
  }

  function onNotification(msg: pg.Notification): void {
    if (msg.channel !== PROGRESS_CHANNEL || !msg.payload) return;
    let parsed: z.infer<typeof messageSchema>;
    try {
      parsed = messageSchema.parse(JSON.parse(msg.payload));
    } catch {
      return;
    }
    if (parsed.o === origin) return;
    const { a: analysisId, e: event } = parsed;
    if (event.type === "stored") inOrder(analysisId, () => fromStore(analysisId, false));
    else inOrder(analysisId, () => deliver(analysisId, event));
  }

  function retry(): void {
    if (closed || timer) return;
    const wait = delay * (0.5 + Math.random());
    delay = Math.min(maxMs, delay * 2);
    timer = setTimeout(() => {
      timer = undefined;
      void connect(true);
    }, wait);
  }

  function drop(c: pg.Client, e?: unknown): void {
    if (client !== c) return;
    client = undefined;
    isListening = false;
    if (!closed) options.log?.warn({ err: e ? describeError(e) : "connection ended" }, "progress listener lost its connection; reconnecting");
    c.end().catch(() => undefined);
    retry();
  }

  async function connect(again: boolean): Promise<void> {
    if (closed) return;
    const c = options.client();
    client = c;
    c.on("error", (e) => drop(c, e));
    c.on("end", () => drop(c));
    c.on("notification", onNotification);
    try {
      await c.connect();
      await c.query(`LISTEN ${PROGRESS_CHANNEL}`);
    } catch (e) {
      drop(c, e);
      return;
    }
    if (closed || client !== c) return;
    delay = minMs;
    isListening = true;
    const waiting = onListening;
    onListening = [];
    waiting.forEach((w) => w());
    if (again) for (const id of watched()) inOrder(id, () => fromStore(id, true));
  }

  return {
    start(d, w) {
      deliver = d;
      watched = w;
      void connect(false);
    },

    send(analysisId, event) {
      let payload = JSON.stringify({ o: origin, a: analysisId, e: event });
      if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) payload = JSON.stringify({ o: origin, a: analysisId, e: { type: "stored" } });
      sending = sending
        .then(() => sql`select pg_notify(${PROGRESS_CHANNEL}, ${payload})`.execute(options.db))
        .catch((e: unknown) => options.log?.warn({ err: describeError(e), analysisId }, "progress not sent to the other replicas"));
    },

    /** Resolves once the listening connection is up (again). */
    listening() {
      return isListening ? Promise.resolve() : new Promise<void>((r) => onListening.push(r));
    },

    async close() {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      await sending;
      await c?.end().catch(() => undefined);
    },
  };
}
