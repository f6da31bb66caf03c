import { EventEmitter } from "node:events";
import type { ProgressMap } from "@/lib/analysis/api";

export type BusEvent =
  | { type: "progress"; progress: ProgressMap }
  | { type: "done"; status: string }
  /** The process is shutting down: listeners end their streams and tell clients to reconnect. */
  | { type: "shutdown" };

const SHUTDOWN = Symbol("shutdown");

/** In-process fan-out of analysis progress to server-sent-event listeners. */
export class ProgressBus {
  private readonly emitter = new EventEmitter();
  /** The newest progress of each running analysis, for listeners that connect mid-run. */
  private readonly snapshots = new Map<string, ProgressMap>();
  private isClosed = false;

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(analysisId: string, event: BusEvent): void {
    if (event.type === "progress") this.snapshots.set(analysisId, event.progress);
    else this.snapshots.delete(analysisId);
    this.emitter.emit(analysisId, event);
  }

  /** The latest progress published for a running analysis in this process. */
  latest(analysisId: string): ProgressMap | undefined {
    return this.snapshots.get(analysisId);
  }

  /** Returns the unsubscribe function. After close(), the listener hears `shutdown` at once. */
  subscribe(analysisId: string, listener: (e: BusEvent) => void): () => void {
    if (this.isClosed) {
      queueMicrotask(() => listener({ type: "shutdown" }));
      return () => {};
    }
    const onShutdown = () => listener({ type: "shutdown" });
    this.emitter.on(analysisId, listener);
    this.emitter.on(SHUTDOWN, onShutdown);
    return () => {
      this.emitter.off(analysisId, listener);
      this.emitter.off(SHUTDOWN, onShutdown);
    };
  }

  /** Tell every listener the process is shutting down (their streams end); later subscribers hear it at once. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.emitter.emit(SHUTDOWN);
  }

  get closed(): boolean {
    return this.isClosed;
  }
}
