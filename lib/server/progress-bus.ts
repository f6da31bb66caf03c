import { EventEmitter } from "node:events";
import type { ProgressMap } from "@/lib/analysis/view";

export type BusEvent = { type: "progress"; progress: ProgressMap } | { type: "done"; status: string };

/** In-process fan-out of analysis progress to server-sent-event listeners. */
export class ProgressBus {
  private readonly emitter = new EventEmitter();
  /** The newest progress of each running analysis, for listeners that connect mid-run. */
  private readonly snapshots = new Map<string, ProgressMap>();

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

  /** Returns the unsubscribe function. */
  subscribe(analysisId: string, listener: (e: BusEvent) => void): () => void {
    this.emitter.on(analysisId, listener);
    return () => this.emitter.off(analysisId, listener);
  }
}
