import { EventEmitter } from "node:events";
import type { ProgressMap } from "@/lib/analysis/view";

export type BusEvent = { type: "progress"; progress: ProgressMap } | { type: "done"; status: string };

/** In-process fan-out of analysis progress to server-sent-event listeners. */
export class ProgressBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(analysisId: string, event: BusEvent): void {
    this.emitter.emit(analysisId, event);
  }

  /** Returns the unsubscribe function. */
  subscribe(analysisId: string, listener: (e: BusEvent) => void): () => void {
    this.emitter.on(analysisId, listener);
    return () => this.emitter.off(analysisId, listener);
  }
}
