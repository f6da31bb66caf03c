import "server-only";
import type { Server } from "node:http";
import type { Config } from "@/lib/config";
import { AppError, describeError } from "@/lib/errors";
import type { Services } from "@/lib/server/services";

// Kept on globalThis: Next may load this module in several bundles of one server process, and every
// copy must see the same flag.
const g = globalThis as typeof globalThis & { __triageDraining?: { on: boolean } };
const state = (g.__triageDraining ??= { on: false });

/** True once the process received SIGTERM or SIGINT and is draining: no new webhooks or progress streams. */
export function isDraining(): boolean {
  return state.on;
}

/**
 * What a webhook or a new progress stream gets while the process drains: 503 with Retry-After, so
 * Alertmanager retries (reaching another replica, or this one after its restart) and a browser falls
 * back to polling.
 */
export function drainingError(): AppError {
  return new AppError("unavailable", "The console is shutting down.", {
    hint: "Retry in a few seconds: another replica, or this one after its restart, takes the request.",
    retryAfterSeconds: 5,
  });
}

/**
 * How long a drain waits for running jobs before handing them back: the Gemini deadline plus time for
 * the cluster reads before it and the issue filing after it. The Deployment's
 * terminationGracePeriodSeconds must exceed this (README, Operating).
 */
export function jobDrainTimeoutMs(config: Pick<Config, "gemini">): number {
  return config.gemini.timeoutMs + 20_000;
}

export interface DrainOptions {
  services: Services;
  /** The dedicated webhook listener (WEBHOOK_LISTEN), when there is one. */
  listener?: Server;
  /** How long running jobs may take before they are aborted and handed back. */
  jobTimeoutMs: number;
}

/**
 * Drain this process: refuse webhooks (503) and close the dedicated listener, end the progress streams
 * (each is told to reconnect), stop claiming jobs and wait up to jobTimeoutMs for the running ones,
 * hand back the rest (queued again, attempt not counted), then close the store.
 */
export async function drain({ services: s, listener, jobTimeoutMs }: DrainOptions): Promise<void> {
  state.on = true;
  const started = Date.now();
  s.log.info({ event: "shutdown", running: s.worker.running(), jobTimeoutMs }, "draining: webhooks refused, progress streams ended, waiting for running jobs");
  const listenerClosed = listener ? closeListener(listener) : Promise.resolve();
  s.bus.close();
  await s.worker.stop({ timeoutMs: jobTimeoutMs });
  await listenerClosed;
  await s.store.close();
  s.log.info({ event: "shutdown", ms: Date.now() - started }, "drained: jobs finished or handed back, store closed");
}

/** Stop accepting connections; a request still open after 5 s is cut (webhook requests take milliseconds). */
function closeListener(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), 5_000);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

const SIGNALS = ["SIGTERM", "SIGINT"] as const;

/**
 * Run `stop` on the first SIGTERM or SIGINT, then exit. Next's own server (next start and the standalone
 * server.js) registers handlers for both signals before it calls register() unless
 * NEXT_MANUAL_SIG_HANDLE is set; they close the HTTP server and exit 143 as soon as open requests end, so
 * a progress stream kept them waiting forever while a short drain would be cut off by their exit. The
 * handlers found here are therefore taken off and run after `stop` finished: Next then closes its HTTP
 * server and exits as it always does. Without any, the process exits with 0. Further signals during the
 * drain are ignored, as Next does: a terminal's Ctrl-C reaches both `npm start` (which forwards it) and
 * this process, so the same signal often arrives twice. A drain still running after `deadlineMs` exits 1.
 */
export function installSignalHandlers(stop: () => Promise<void>, log: { error(obj: object, msg?: string): void }, options: { deadlineMs: number }): void {
  const previous = new Map(SIGNALS.map((sig) => [sig, process.listeners(sig)]));
  for (const sig of SIGNALS) process.removeAllListeners(sig);
  let started = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (started) return;
    started = true;
    // A drain stuck on I/O must not hold the pod until the kubelet's SIGKILL without a word.
    setTimeout(() => {
      log.error({ event: "shutdown", deadlineMs: options.deadlineMs }, "drain did not finish in time; exiting");
      process.exit(1);
    }, options.deadlineMs).unref();
    void stop()
      .catch((e: unknown) => log.error({ err: e, detail: describeError(e) }, "shutdown failed; exiting anyway"))
      .then(() => {
        const next = previous.get(sig as (typeof SIGNALS)[number]) ?? [];
        if (next.length === 0) process.exit(0);
        for (const l of next) l(sig);
        // Next's handler exits once its open requests end; a request that never ends must not keep the pod.
        setTimeout(() => process.exit(sig === "SIGINT" ? 130 : 143), 10_000).unref();
      });
  };
  for (const sig of SIGNALS) process.on(sig, onSignal);
}
