import type { EvidenceBundle } from "@/lib/cluster/bundle";
import type { SignalEvidence } from "@/lib/analysis/types";
import type { Finding } from "./log-signals";
import { clip, excerpt, logLevel, splitRaw, stripPrefix } from "./text";

/**
 * What a running server's own warnings say about how it serves: load shed or rejected, HTTP 5xx answers,
 * latency over its objective, memory close to its limit. These are not crash signatures (log-rules), but
 * they are what an alert on a Running pod is usually about, so they become signals and the impact.
 * WARN and ERROR lines count; an access-log line counts by its status code, whatever its logger level.
 */

interface Seen {
  count: number;
  first: SignalEvidence;
  last: SignalEvidence;
  /** The text that matched in the last line, for titles. */
  detail: string;
}

export interface ServingHealth {
  /** Requests rejected: queue full, shedding, overloaded, too many requests. */
  shedding?: Seen;
  /** Access-log lines answered with a 5xx status, and how many access-log lines there were. */
  errors5xx?: Seen & { codes: string[] };
  requests: number;
  /** Requests preempted for lack of KV cache space (vLLM). */
  preemption?: Seen;
  /** Latency over an objective or a slow-request warning. */
  latency?: Seen;
  /** Memory reported close to (or over a share of) the container's limit. */
  memoryLimit?: Seen;
}

const GATE = /shed|queue|overload|permit|reject|too many|HTTP\/[\d.]+" 5|status(?:_code)?[=:] ?5|latency|p9\d|p50|SLO|slow|memory|rss|heap|limit|preempt/i;
const SHEDDING =
  /shedding (?:request|load)|load[- ]shed|queue_depth=\d+ exceeds|queue (?:is )?full|exceeds? (?:the )?max(?:imum)?[_ ]queue(?:[_ ]size)?|Exceeds maximum queue size|rejecting (?:new )?requests?|request (?:was )?rejected|too many (?:pending |concurrent |in-flight )?requests|Model is overloaded|server (?:is )?overloaded|no permits available/i;
/** vLLM preempts running sequences when the KV cache is full: saturation, though nothing is refused. */
const PREEMPTION = /is preempted by PreemptionMode\.\w+ mode because there is not enough KV cache space/;
const ACCESS_5XX = /HTTP\/[\d.]+"\s(5\d\d)\b|\bstatus(?:_code)?[=:]\s?"?(5\d\d)\b/;
const ACCESS = /HTTP\/[\d.]+"\s\d{3}\b|\bstatus(?:_code)?[=:]\s?"?\d{3}\b/;
const LATENCY = /\bp(?:50|9[059](?:\.9)?)\b[^\n]{0,60}?\d+(?:\.\d+)?\s?m?s\b[^\n]{0,40}\bSLO\b|\bSLO\b[^\n]{0,60}(?:exceed|breach|violat|over|above)|latency[^\n]{0,60}(?:above|over|exceed)[^\n]{0,30}(?:SLO|target|objective|threshold)|slow (?:batch|request|response)s?\b/i;
const MEMORY_LIMIT =
  /(?:memory|rss|heap|working set)[^\n]{0,80}?(?:above|over|exceed\w*|reach\w*|near|close to|approaching)[^\n]{0,40}?(?:limit|\d{2,3}\s?%)|(?:\d{2,3}\s?%)[^\n]{0,20}of (?:the )?(?:container(?:'s)? )?memory limit|memory limit[^\n]{0,40}(?:exceed|reach|almost|nearly)/i;

function note(seen: Seen | undefined, ev: SignalEvidence, detail: string): Seen {
  if (!seen) return { count: 1, first: ev, last: ev, detail };
  return { ...seen, count: seen.count + 1, last: ev, detail };
}

/** Read one log's warnings about serving; linear, and most lines are rejected by one cheap test. */
export function readServingHealth(log: string | undefined, source: "logs" | "previousLogs"): ServingHealth {
  const health: ServingHealth = { requests: 0 };
  const raws = splitRaw(log);
  for (let i = 0; i < raws.length; i++) {
    const raw = raws[i] ?? "";
    if (!GATE.test(raw)) continue;
    const { text, offset } = stripPrefix(raw);
    const evidence = (m: RegExpExecArray): SignalEvidence => ({ source, line: i + 1, text: excerpt(raw, offset + m.index, offset + m.index + m[0].length) });
    const access = ACCESS.exec(text);
    if (access) {
      health.requests++;
      const m = ACCESS_5XX.exec(text);
      if (m) {
        const code = m[1] ?? m[2] ?? "5xx";
        const prev = health.errors5xx;
        health.errors5xx = { ...note(prev, evidence(m), code), codes: prev?.codes.includes(code) ? prev.codes : [...(prev?.codes ?? []), code] };
      }
      continue;
    }
    const level = logLevel(raw);
    if (level !== "warn" && level !== "error") continue;
    let m: RegExpExecArray | null;
    // Titles quote from the match on: the logger's name and level before it say nothing.
    if ((m = PREEMPTION.exec(text))) health.preemption = note(health.preemption, evidence(m), text.slice(m.index));
    else if ((m = SHEDDING.exec(text))) health.shedding = note(health.shedding, evidence(m), text.slice(m.index));
    else if ((m = LATENCY.exec(text))) health.latency = note(health.latency, evidence(m), text.slice(m.index));
    else if ((m = MEMORY_LIMIT.exec(text))) health.memoryLimit = note(health.memoryLimit, evidence(m), text.slice(m.index));
  }
  return health;
}

/** The current container's serving health, or the previous one's when the current has not served. */
export function servingHealth(bundle: Pick<EvidenceBundle, "logs" | "previousLogs">): ServingHealth {
  const current = readServingHealth(bundle.logs, "logs");
  if (current.shedding || current.errors5xx || current.latency || current.memoryLimit || current.preemption) return current;
  return readServingHealth(bundle.previousLogs, "previousLogs");
}

/** True when the logs show requests being refused, failed or slow. */
export function isDegraded(h: ServingHealth): boolean {
  return !!(h.shedding || h.latency || (h.errors5xx && h.errors5xx.count >= 3));
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One sentence for the impact: "Its logs show it rejecting 44 requests (…), 44 HTTP 503 answers of 1,180 requests, …". */
export function healthSentence(h: ServingHealth): string | undefined {
  const parts: string[] = [];
  if (h.shedding) parts.push(`${plural(h.shedding.count, "request-rejection warning")} (${clip(h.shedding.detail, 90)})`);
  if (h.errors5xx) parts.push(`${plural(h.errors5xx.count, `HTTP ${h.errors5xx.codes.join("/")} answer`)}${h.requests ? ` among ${h.requests} logged requests` : ""}`);
  if (h.preemption) parts.push(`${plural(h.preemption.count, "request")} preempted for lack of KV cache space`);
  if (h.latency) parts.push(`latency over its objective (${clip(h.latency.detail, 90)})`);
  if (h.memoryLimit) parts.push(`memory close to its limit (${clip(h.memoryLimit.detail, 90)})`);
  return parts.length ? `Its logs show ${parts.join(", ")}.` : undefined;
}

/** How a near-limit memory signal's title starts (the report explains it as a warning, not a kill). */
export const NEAR_LIMIT_TITLE = "Memory close to the container limit";

/**
 * Signals from the serving health: `overload` when requests are shed, fail with 5xx or run over the
 * latency objective; `oom_killed` (variant near_limit) when the process warns that memory nears its limit.
 */
export function healthFindings(h: ServingHealth, alertSaysMemory: boolean): Finding[] {
  const out: Finding[] = [];
  const evidence: SignalEvidence[] = [];
  const titleParts: string[] = [];
  let confidence = 0;
  if (h.shedding) {
    confidence = 0.58;
    evidence.push(h.shedding.last);
    titleParts.push(`rejecting requests (${clip(h.shedding.detail, 70)})`);
  }
  if (h.errors5xx && h.errors5xx.count >= 3) {
    confidence = confidence ? confidence + 0.04 : 0.45;
    evidence.push(h.errors5xx.last);
    titleParts.push(`${h.errors5xx.count} HTTP ${h.errors5xx.codes.join("/")} answers`);
  }
  if (h.latency) {
    confidence = confidence ? confidence + 0.04 : 0.45;
    evidence.push(h.latency.last);
    titleParts.push(`latency over objective (${clip(h.latency.detail, 60)})`);
  }
  if (h.preemption) {
    // Preemption alone says the engine is saturated, not that anyone was refused: a possibility, not a cause.
    confidence = confidence ? confidence + 0.04 : 0.4;
    evidence.push(h.preemption.last);
    titleParts.push(`${h.preemption.count} request${h.preemption.count === 1 ? "" : "s"} preempted for lack of KV cache space`);
  }
  if (confidence > 0) {
    out.push({ category: "overload", title: `Server overloaded: ${titleParts.join(", ")}`, confidence: Math.min(0.66, confidence), evidence, key: "health:overload" });
  }
  if (h.memoryLimit) {
    const ev = h.memoryLimit.first.text === h.memoryLimit.last.text ? [h.memoryLimit.last] : [h.memoryLimit.last, h.memoryLimit.first];
    out.push({
      category: "oom_killed",
      title: `${NEAR_LIMIT_TITLE}, the server warns (${clip(h.memoryLimit.detail, 100)})${h.memoryLimit.count > 1 ? ` (${h.memoryLimit.count} warnings)` : ""}`,
      confidence: alertSaysMemory ? 0.72 : 0.55,
      evidence: ev,
      variant: "near_limit",
      key: "health:memory",
    });
  }
  return out;
}
