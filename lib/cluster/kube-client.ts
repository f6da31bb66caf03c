import * as k8s from "@kubernetes/client-node";
import { ObjectSerializer } from "@kubernetes/client-node/dist/serializer.js";
import { z } from "zod";
import { ClusterApiError, type WireObject } from "@/lib/cluster/pod-reader";

/**
 * What every read through @kubernetes/client-node shares: errors turned into ClusterApiError (Status reason
 * and message), typed objects turned back into the JSON the API server sent, and per-call abort signals.
 */

const statusSchema = z.object({ message: z.string().optional(), reason: z.string().optional() });
const wireObjectSchema = z.record(z.string(), z.unknown());

const NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "EHOSTUNREACH", "ETIMEDOUT", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"]);

function causeCode(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c && depth < 4; depth++) {
    const r = z.object({ code: z.string() }).safeParse(c);
    if (r.success) return r.data.code;
    c = c instanceof Error ? c.cause : undefined;
  }
  return undefined;
}

/** Turn whatever the client threw into a ClusterApiError carrying the Status reason and message. */
export function toClusterError(e: unknown, signal: AbortSignal): ClusterApiError {
  if (signal.aborted) return new ClusterApiError("timeout", "request aborted after its timeout");
  if (e instanceof k8s.ApiException) {
    const code = z.number().safeParse(e.code);
    let parsed: unknown;
    try {
      parsed = typeof e.body === "string" ? JSON.parse(e.body) : undefined;
    } catch {
      parsed = undefined;
    }
    const status = statusSchema.safeParse(parsed);
    const message = status.success && status.data.message ? status.data.message : `HTTP ${String(e.code)}`;
    return new ClusterApiError(code.success ? code.data : "unreachable", message, status.success ? status.data.reason : undefined);
  }
  const code = causeCode(e);
  const text = e instanceof Error ? e.message : String(e);
  if (code && NETWORK_CODES.has(code)) return new ClusterApiError("unreachable", code);
  return new ClusterApiError("unreachable", code ? `${text} (${code})` : text);
}

// metav1.Time is RFC 3339 with whole seconds; the client's Date round-trip adds ".000".
const wholeSecond = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.000Z$/;
function normalizeTimes(v: unknown): unknown {
  if (typeof v === "string") return v.replace(wholeSecond, "$1Z");
  if (Array.isArray(v)) return v.map(normalizeTimes);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeTimes(x)]));
  return v;
}

/** A typed client object back to the JSON the API server sent (string times, wire field names). */
export function toWire(obj: unknown, type: string): WireObject {
  const r = wireObjectSchema.safeParse(normalizeTimes(ObjectSerializer.serialize(obj, type)));
  return r.success ? r.data : {};
}

/** Per-call options that make the request abortable: the generated client takes an ObservableMiddleware. */
export function abortable(signal: AbortSignal): k8s.ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (ctx: k8s.RequestContext) => {
          ctx.setSignal(signal);
          return new k8s.Observable(Promise.resolve(ctx));
        },
        post: (res: k8s.ResponseContext) => new k8s.Observable(Promise.resolve(res)),
      },
    ],
    middlewareMergeStrategy: "append",
  };
}

/** Run one client call, turning whatever it throws into a ClusterApiError. */
export async function callApi<T>(signal: AbortSignal, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw toClusterError(e, signal);
  }
}
