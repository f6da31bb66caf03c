import { EventEmitter } from "node:events";
import type { ProgressMap } from "@/lib/analysis/api";

export type BusEvent =
  | { type: "progress"; progress: ProgressMap }
  | { type: "done"; status: string }
  /** The process is shutting down: listeners end their streams and tell clients to reconnect. */
  | { type: "shutdown" };

/** What crosses to other replicas: progress and the end, never this process's shutdown. */
export type SharedBusEvent = Exclude<BusEvent, { type: "shutdown" }>;

/** Carries events between the buses of replicas that share a database (lib/server/progress-bridge.ts). */
export interface ProgressBridge {
  /** Send an event published here to the other replicas, in publishing order. */
  send(analysisId: string, event: SharedBusEvent): void;
  /** Start delivering other replicas' events; `watched` names the analyses with listeners here (to catch up after a reconnect). */
  start(deliver: (analysisId: string, event: SharedBusEvent) => void, watched: () => string[]): void;
  close(): Promise<void>;
}

const SHUTDOWN = Symbol("shutdown");
/** Snapshots of other replicas' analyses are dropped oldest first beyond this (a replica that died mid-run never sends the end). */
const MAX_SNAPSHOTS = 1000;

/**
 * Fan-out of analysis progress to server-sent-event listeners: in process, and with a bridge (PostgreSQL
 * replicas) to and from the other replicas, so a browser on any replica follows an analysis running on another.
 */
export class ProgressBus {
  private readonly emitter = new EventEmitter();
  /** The newest progress of each running analysis, for listeners that connect mid-run. */
  private readonly snapshots = new Map<string, ProgressMap>();
  private isClosed = false;

  constructor(private readonly bridge?: ProgressBridge) {
    this.emitter.setMaxListeners(0);
    bridge?.start(
      (analysisId, event) => this.deliver(analysisId, event),
      () => this.emitter.eventNames().filter((n): n is string => typeof n === "string"),
    );
  }

  publish(analysisId: string, event: BusEvent): void {
    this.deliver(analysisId, event);
    if (event.type !== "shutdown") this.bridge?.send(analysisId, event);
  }

  private deliver(analysisId: string, event: BusEvent): void {
    this.snapshots.delete(analysisId);
    if (event.type === "progress") {
      this.snapshots.set(analysisId, event.progress);
      if (this.snapshots.size > MAX_SNAPSHOTS) this.snapshots.delete(this.snapshots.keys().next().value ?? analysisId);
    }
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

  /** Tell every listener the process is shutting down (their streams end); later subscribers hear it at once. Stops the bridge. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.emitter.emit(SHUTDOWN);
    void this.bridge?.close();
  }

  get closed(): boolean {
    return this.isClosed;
  }
}
