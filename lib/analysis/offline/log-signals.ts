import type { SignalCategory, SignalEvidence } from "@/lib/analysis/types";
import { HEADLINES, LOG_RULES, PREFILTER, isStackLine, type LogRule } from "./log-rules";
import type { SuggestionVariant } from "./suggestions";
import { clip, excerpt, isProgressLine, logLevel, splitRaw, stripPrefix, toLogLine, type LogLine } from "./text";

/** A signal before ranking, with what the suggestion needs. */
export interface Finding {
  category: SignalCategory;
  title: string;
  confidence: number;
  evidence: SignalEvidence[];
  variant?: SuggestionVariant;
  /** Detector that produced it, for de-duplication and tests. */
  key: string;
}

export interface LogScan {
  findings: Finding[];
  /** 1-based line of the exception that ends the log, if it ends in one. */
  finalException?: { line: number; headline: string };
  /** The last thing the log shows is the model still loading (no "ready" after it). */
  loadingAtEnd: boolean;
  lineCount: number;
}

/** How many non-empty lines at the end count as "what happened right before the container stopped". */
const TAIL_LINES = 60;
/** Non-stack lines tolerated inside one exception (multi-line messages, logger lines between chained traces). */
const MAX_GAP = 5;
/** A stack trace longer than this is not walked further back. */
const MAX_BLOCK = 800;
/**
 * The most a match on an INFO or DEBUG line is trusted: below the diagnosis's floor, so such a line (a
 * setting echoed at start-up, "HF_HUB_OFFLINE=1") never carries a hypothesis alone, only supports one.
 */
export const INFO_CONFIDENCE_CAP = 0.2;

const LOADING =
  /Loading checkpoint shards|Loading safetensors checkpoint|\bloading: \S+:\d+|Loading engine|Loading (?:the )?model|Loading weights|Loading model weights|Downloading (?:model|shards|weights)|Fetching \d+ files|snapshot_download|Starting to load model|\.safetensors[^\n]*\d+%|Capturing (?:CUDA )?graphs?|Capturing cudagraph|Memory profiling|torch\.compile|Compiling (?:the )?model|Warming up|Initializing (?:an |a V1 )?LLM engine|Downloading[^\n]*\d+%|Loading[^\n]*\d+%|Loading pipeline components/i;
const READY =
  /Application startup complete|Uvicorn running on|Started GRPCInferenceService|Started HTTPService|Model server started|Server (?:is )?ready|Listening (?:on|at) (?:port|https?:|0\.0\.0\.0|\[::\]|:\d)|Running on https?:\/\/|models? loaded successfully|successfully loaded model|Avg prompt throughput|"(?:GET|POST) \/(?:v1\/|v2\/)?(?:health|completions|chat|models)[^"]*" 200/i;
const PHASE_GATE = /load|download|fetch|shard|captur|compil|warm|profil|start|running on|listen|ready|throughput|" 200|engine/i;

interface Hit {
  idx: number;
  start: number;
  end: number;
  conf: number;
  title: string;
  variant?: SuggestionVariant;
}

interface RuleAgg {
  rule: LogRule;
  count: number;
  first: Hit;
  last: Hit;
  best: Hit;
}

/** Stripped lines on demand: a 100,000-line log is mostly never looked at closely. */
class LazyLines {
  private readonly cache: (LogLine | undefined)[];
  constructor(private readonly raws: string[]) {
    this.cache = new Array<LogLine | undefined>(raws.length);
  }
  get length(): number {
    return this.raws.length;
  }
  at(i: number): LogLine {
    let l = this.cache[i];
    if (!l) {
      l = toLogLine(this.raws, i);
      this.cache[i] = l;
    }
    return l;
  }
}

function countNonEmpty(lines: LazyLines, from: number, to: number): number {
  let n = 0;
  for (let i = from; i <= to; i++) if (lines.at(i).text.trim() !== "") n++;
  return n;
}

function headline(text: string): RegExpExecArray | null {
  if (text === "" || /^\s/.test(text)) return null;
  for (const re of HEADLINES) {
    const m = re.exec(text);
    if (m) return m;
  }
  return null;
}

/** Index from which the last TAIL_LINES non-empty lines start. */
function tailStartOf(lines: LazyLines): number {
  let seen = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines.at(i).text.trim() !== "" && ++seen >= TAIL_LINES) return i;
  }
  return 0;
}

function lastNonEmpty(lines: LazyLines): number {
  for (let i = lines.length - 1; i >= 0; i--) if (lines.at(i).text.trim() !== "") return i;
  return -1;
}

/** Title for an unclassified exception: language and the exception as thrown (Java: the root cause). */
function exceptionTitle(lines: LazyLines, from: number, f: number): string {
  const text = lines.at(f).text;
  let python = false;
  let java = false;
  let node = false;
  let root: string | undefined;
  for (let i = from; i < lines.length; i++) {
    const t = lines.at(i).text;
    if (t.startsWith("Traceback (most recent call last)")) python = true;
    else if (/^\s+at [\w.$<>]+\(/.test(t) || t.startsWith("Exception in thread")) java = true;
    else if (/^\s+at .*(?:\.js|\.mjs|\.cjs|\.ts|node:)/.test(t) || t.startsWith("node:internal") || /^Node\.js v\d/.test(t)) node = true;
    if (t.startsWith("Caused by: ")) root = t.slice("Caused by: ".length);
  }
  if (/^panic: /.test(text)) return `Go panic: ${clip(text.slice(7), 120)}`;
  if (/^fatal error: /.test(text)) return `Go fatal error: ${clip(text.slice(13), 120)}`;
  if (/panicked at/.test(text)) return `Rust panic: ${clip(text, 120)}`;
  if (/UnhandledPromiseRejection/.test(text)) return `Node.js unhandled promise rejection: ${clip(text, 110)}`;
  if (java || root) return `Java ${clip((root ?? text).replace(/^Exception in thread "[^"]*" /, ""), 130)}`;
  if (python) return `Python ${clip(text, 130)}`;
  if (node) return `Node.js ${clip(text, 130)}`;
  return `Unhandled ${clip(text, 130)}`;
}

function lineEvidence(source: "logs" | "previousLogs", l: LogLine, start: number, end: number): SignalEvidence {
  return { source, line: l.line, text: excerpt(l.raw, l.offset + start, l.offset + end) };
}

/**
 * Scan one log linearly for failure signatures. When `crashLog` is set the log is the output of a
 * container that died, and findings inside the exception that ended it rank as its cause.
 */
export function scanLog(log: string | undefined, source: "logs" | "previousLogs", crashLog: boolean): LogScan {
  const raws = splitRaw(log);
  const result: LogScan = { findings: [], loadingAtEnd: false, lineCount: raws.length };
  if (raws.length === 0) return result;
  const lines = new LazyLines(raws);

  const tailStart = tailStartOf(lines);
  const end = lastNonEmpty(lines);

  let f = -1;
  let fMatch: RegExpExecArray | null = null;
  for (let i = end; i >= tailStart; i--) {
    const m = headline(lines.at(i).text);
    if (m) {
      f = i;
      fMatch = m;
      break;
    }
  }
  let blockStart = f;
  if (f >= 0) {
    let misses = 0;
    for (let j = f - 1; j >= Math.max(0, f - MAX_BLOCK); j--) {
      const t = lines.at(j).text;
      if ((isStackLine(t) && !isProgressLine(t)) || headline(t)) {
        blockStart = j;
        misses = 0;
      } else if (++misses > MAX_GAP) break;
    }
  }

  const aggs = new Map<string, RuleAgg>();
  let explained = false;
  let lastLoad = -1;
  let lastReady = -1;
  for (let i = 0; i < raws.length; i++) {
    // The gate runs on the raw line (it is unanchored), so most lines are never stripped or copied.
    const raw = raws[i] ?? "";
    // Loading vs ready only matters for what the log shows last.
    const phase = i >= tailStart && PHASE_GATE.test(raw);
    if (!phase && !PREFILTER.test(raw)) continue;
    const text = i >= tailStart ? lines.at(i).text : stripPrefix(raw).text;
    if (phase) {
      if (READY.test(text)) lastReady = i;
      else if (LOADING.test(text)) lastLoad = i;
    }
    if (!PREFILTER.test(text)) continue;
    for (const rule of LOG_RULES) {
      const m = rule.re.exec(text);
      if (!m) continue;
      const inBlock = f >= 0 && i >= blockStart;
      let conf = rule.base;
      // A native-crash line inside a stack trace restates the exception; it does not explain it.
      if (inBlock && rule.category !== "app_crash") explained = true;
      if (crashLog && inBlock && rule.category !== "app_crash") conf = Math.min(0.93, rule.base + 0.3);
      else if (crashLog && i >= tailStart) conf = rule.base + 0.1;
      const level = logLevel(raw);
      if (level === "info" || level === "debug") conf = Math.min(conf, INFO_CONFIDENCE_CAP);
      const variant = typeof rule.variant === "function" ? rule.variant(text) : rule.variant;
      const hit: Hit = { idx: i, start: m.index, end: m.index + m[0].length, conf, title: rule.title(m, text), variant };
      const agg = aggs.get(rule.id);
      if (!agg) aggs.set(rule.id, { rule, count: 1, first: hit, last: hit, best: hit });
      else {
        agg.count++;
        agg.last = hit;
        if (hit.conf > agg.best.conf) agg.best = hit;
      }
      break;
    }
  }

  for (const agg of aggs.values()) {
    const picks = [agg.best, agg.first, agg.last].filter((h, k, a) => a.findIndex((x) => x.idx === h.idx) === k);
    const evidence: SignalEvidence[] = [];
    const said = new Set<string>();
    for (const h of picks) {
      const l = lines.at(h.idx);
      // The same message at another time is one piece of evidence, and a progress bar is none.
      if (isProgressLine(l.text) || said.has(l.text.trim())) continue;
      said.add(l.text.trim());
      evidence.push(lineEvidence(source, l, h.start, h.end));
    }
    if (evidence.length === 0) continue;
    const repeated = agg.count >= 5 ? 0.03 : 0;
    result.findings.push({
      category: agg.rule.category,
      title: agg.count > 1 ? `${agg.best.title} (${agg.count} lines)` : agg.best.title,
      confidence: Math.min(0.95, agg.best.conf + repeated),
      evidence,
      variant: agg.best.variant,
      key: `${source}:${agg.rule.id}`,
    });
  }

  const fl = f >= 0 ? lines.at(f) : undefined;
  if (fl && fMatch) {
    result.finalException = { line: fl.line, headline: fl.text };
    const nearEnd = countNonEmpty(lines, f, end) <= 10;
    const confidence = explained ? 0.4 : crashLog ? 0.78 : nearEnd ? 0.55 : 0.4;
    const evidence: SignalEvidence[] = [lineEvidence(source, fl, fMatch.index, fMatch.index + fMatch[0].length)];
    const first = lines.at(blockStart);
    if (blockStart !== f && first.text.trim() !== "" && !isProgressLine(first.text)) evidence.unshift(lineEvidence(source, first, 0, first.text.length));
    result.findings.push({
      category: "app_crash",
      title: exceptionTitle(lines, blockStart, f),
      confidence,
      evidence,
      key: `${source}:crash.exception`,
    });
  }

  result.loadingAtEnd = lastLoad >= tailStart && lastLoad > lastReady;
  return result;
}
