/**
 * Line handling shared by the detectors: split without copying more than needed, strip the prefixes
 * that runtimes and log shippers put before the text that matters, and cut verbatim excerpts.
 */

/** One log line: 1-based number, the raw text, and the text after known prefixes. */
export interface LogLine {
  line: number;
  raw: string;
  /** `raw` without timestamps, rank/process tags and logger headers; indentation after them is kept. */
  text: string;
  /** Length of the stripped prefix, so a match index in `text` maps back into `raw`. */
  offset: number;
}

const PREFIXES: RegExp[] = [
  // kubectl logs --timestamps, and most JSON-less loggers: 2026-11-20T10:00:01.123456789Z
  /^\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?\s/,
  // docker compose: "vllm-1  | "
  /^[\w.-]+\s+\|\s/,
  // vLLM v1 engine processes: "(EngineCore_DP0 pid=223840) ", "(VllmWorker rank=0 pid=1) "
  /^\([\w.-]+(?: rank=\d+)? pid=\d+\)\s/,
  // torchrun: "[rank0]: "
  /^\[rank\d+\]:\s?/,
  // vLLM logger: "ERROR 04-30 10:20:36 [core.py:396] " and older "ERROR 04-28 15:55:45 worker_base.py:157] "
  /^(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL) \d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? (?:\[[^\]]+\]|[\w.-]+:\d+\]) /,
  // glog/klog (Triton, TF Serving, Go): "E0421 20:33:41.376738 1 server.cc:236] "
  /^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+ [\w.-]+:\d+\] /,
];

/** Strip known prefixes (several may stack: timestamp, then process tag, then logger header). */
export function stripPrefix(raw: string): { text: string; offset: number } {
  let text = raw;
  let offset = 0;
  for (let pass = 0; pass < 4; pass++) {
    let changed = false;
    for (const re of PREFIXES) {
      const m = re.exec(text);
      // A prefix-only line (kubectl --timestamps on an empty line) becomes empty, as it was.
      if (m && m[0].length <= text.length && m[0].length > 0) {
        text = text.slice(m[0].length);
        offset += m[0].length;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return { text, offset };
}

/** Split a log into raw lines, without the empty line after a trailing newline or trailing CRs. */
export function splitRaw(log: string | undefined): string[] {
  if (!log) return [];
  const parts = log.split("\n");
  if (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] ?? "";
    if (p.endsWith("\r")) parts[i] = p.slice(0, -1);
  }
  return parts;
}

/** Line i (0-based) as a LogLine; prefixes are stripped only for lines that are looked at. */
export function toLogLine(raws: string[], i: number): LogLine {
  const raw = raws[i] ?? "";
  const { text, offset } = stripPrefix(raw);
  return { line: i + 1, raw, text, offset };
}

/** Split a log into lines (1-based) with prefixes stripped. */
export function splitLines(log: string | undefined): LogLine[] {
  const raws = splitRaw(log);
  return raws.map((_, i) => toLogLine(raws, i));
}

const MAX_EXCERPT = 400;

/**
 * A verbatim excerpt of `source` around [start, end): the whole string when short, else a window
 * that keeps the match. Always a substring of `source`, so a grounding check can find it.
 */
export function excerpt(source: string, start = 0, end = source.length): string {
  if (source.length <= MAX_EXCERPT) return source.trimEnd() || source;
  const from = Math.max(0, Math.min(start - 80, source.length - MAX_EXCERPT));
  const to = Math.min(source.length, Math.max(end, from + MAX_EXCERPT));
  return source.slice(from, Math.min(to, from + MAX_EXCERPT));
}

/** Shorten free text for a title (not evidence: titles need not be verbatim). */
export function clip(s: string, max = 140): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** `"key":<json value>`: exactly how JSON.stringify renders a property, so it is a substring of the pod JSON. */
export function kv(key: string, value: unknown): string {
  return `"${key}":${JSON.stringify(value)}`;
}

/**
 * A progress bar (tqdm, `Loading … 45% Completed | 2/4`, pip): it says how far something got, never why
 * anything failed, so it is neither part of a stack trace nor evidence.
 */
export function isProgressLine(text: string): boolean {
  return /\d{1,3}%\s*\|[█▏▎▍▌▋▊▉#=>\-. ]*\||\d{1,3}% Completed \|\s*\d+\/\d+|\|\s*\d+\/\d+ \[\d{2}:\d{2}(?::\d{2})?<(?:\d{2}:\d{2}|\?)/.test(text);
}

/** How severe a log line says it is; `none` when it names no level (a stack line, a bare message). */
export type LogLevel = "debug" | "info" | "warn" | "error" | "none";

const ANSI = /\u001b\[[0-9;]*m/g;
const LEVEL_WORD = /(?:^|[\s[("|:=])(TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERROR|ERR|CRITICAL|FATAL|PANIC|SEVERE)(?=$|[\s\]):|,])/i;

/**
 * The level a line's logger printed: Python logging and uvicorn (`INFO:`, `[INFO]`, `2026-… INFO name`), vLLM
 * (`WARNING 11-20 …`), TGI/tracing (` WARN text_generation_router`), glog/klog (`I1120`, `W1120`, `E1120`),
 * JSON (`"level":"warn"`). Only the head of the line is read, so a message that mentions "error" later is
 * still INFO when its logger said so.
 */
export function logLevel(raw: string): LogLevel {
  const head = raw.slice(0, 200).replace(ANSI, "").slice(0, 100);
  const json = /"(?:level|severity|lvl)"\s*:\s*"(\w+)"/i.exec(raw.slice(0, 400));
  // The first level word wins: "INFO … connection error" is INFO.
  const word = json?.[1] ?? LEVEL_WORD.exec(head)?.[1];
  const glog = /^(?:\S+\s+)?([IWEF])\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+ /.exec(head)?.[1];
  const w = (word ?? (glog === "I" ? "info" : glog === "W" ? "warn" : glog === "E" || glog === "F" ? "error" : "")).toLowerCase();
  if (w === "trace" || w === "debug") return "debug";
  if (w === "info" || w === "notice") return "info";
  if (w.startsWith("warn")) return "warn";
  if (w) return "error";
  return "none";
}
