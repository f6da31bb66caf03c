import { estimateTokens } from "@/lib/analysis/tokens";

export { estimateTokens };

/**
 * Log condensing: fit a (redacted) log into a token budget while keeping what proves a cause.
 *
 * Priority, highest first (lines are added greedily while the budget lasts):
 *  1. every `keepLines` line (kept even over budget, and the output says so);
 *  2. the header and final line of the first occurrence of each distinct error block
 *     (an error line plus its stack frames: Python, Java, Go, Node traces);
 *  3. the ±context lines around each `keepLines` line;
 *  4. the frames of those error blocks (up to 24 lines each: the first and last 12);
 *  5. the last 50 lines, then the first 20, then the rest of the error blocks (up to 60 lines each);
 *  6. the first occurrence of each warning template;
 *  7. more tail, newest first, at most 3 lines per template (so health checks cannot crowd it);
 *  8. the first occurrence of every other template, then anything else, newest first.
 * Omitted stretches are summarised: the commonest templates in a gap become
 * `[x523 similar: … ] (lines a-b)` and the rest `… N lines omitted …`.
 *
 * Templates mask timestamps, UUIDs, hex ids, numbers, IPs and durations (HTTP statuses keep their class,
 * 2xx vs 5xx, so failing requests never hide inside a run of healthy ones). ANSI colour codes are stripped
 * and CRLF is read as LF; a lone CR (progress bars) shows its last segment. All passes are linear: the
 * masking regexes run once over the whole text, not once per line.
 */

export interface ReduceOptions {
  /** Token budget for the rendered text (default 8000, estimated with estimateTokens). */
  budgetTokens?: number;
  /** 1-based line numbers cited by signals: always kept, with `context` lines around them. */
  keepLines?: number[];
  /** Lines kept on each side of a cited line (default 3). */
  context?: number;
}

export type ReducedLine =
  | { n: number; text: string }
  | { repeat: number; template: string; from: number; to: number }
  | { omitted: number; from: number; to: number };

export interface ReducedLog {
  text: string;
  tokens: number;
  keptLines: number;
  totalLines: number;
  lines: ReducedLine[];
  /** True when the cited lines alone exceed the budget (all are kept anyway). */
  overBudget: boolean;
}

const DEFAULT_BUDGET = 8000;
const DEFAULT_CONTEXT = 3;
const HEAD = 20;
const TAIL = 50;
const MAX_LINE_CHARS = 2000;
const TEMPLATE_CHARS = 240;
const TEMPLATE_SHOWN = 100;
const MAX_BLOCK = 200;
const BLOCK_KEEP = 60;
const BLOCK_CORE = 24;
const PER_TEMPLATE_TAIL = 3;
/** Estimated cost of one gap's summary lines; the render is checked exactly afterwards. */
const GAP_COST = 24;
const MAX_TIER_MISSES = 400;

// ANSI CSI and OSC sequences; bounded so a stray ESC cannot make the scan quadratic.
const ANSI_RE = /\x1b\[[0-9;?]{0,32}[ -/]{0,4}[@-~]|\x1b\][^\x07\x1b\n]{0,512}(?:\x07|\x1b\\)|\x1b[()][A-Z0-9]/g;
const ERROR_RE =
  /error|exception|\b(?:traceback|fatal|panic|critical|severe|oom|oomkilled|out of memory|killed|segmentation fault|sigsegv|sigkill|sigabrt|core dumped|caused by|failed|failure|refused|denied|unreachable|unable to|could not|cannot|timed out|deadline exceeded|no such file|not found|unauthorized|forbidden|crash)/gi;
const WARN_RE = /\b(?:warn|warning|deprecated|retry|retrying|backoff|back-off|slow|throttl\w*)\b/gi;
const K8S_TS_PREFIX = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d) /;
const CONT_RE = /^(?:[ \t]+\S|at |Caused by:|Suppressed:|\.\.\. \d+ (?:more|common frames omitted))/;
const PY_CHAIN_RE = /^(?:During handling of the above exception|The above exception was the direct cause|Traceback \(most recent call last\))/;
const GO_FRAME_RE = /^(?:goroutine \d+ \[|created by |[\w./*()[\]-]{1,300}\(.{0,500}\)$|\[signal |exit status \d+)/;
const STATUS_CONTEXT = /(?:" |status(?:_?code)?["']?[=:] ?|code["']?[=:] ?)$/i;

const isDigit = (c: number) => c >= 48 && c <= 57;
const isHexLetter = (c: number) => (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
const isAlnum = (c: number) => isDigit(c) || ((c | 32) >= 97 && (c | 32) <= 122);

/**
 * One linear scan of a line's first TEMPLATE_CHARS characters that masks variable parts: a word of digits
 * (with `.`/`:` between them: numbers, IPs, ports, times) becomes `#`, a hex word with a digit of 4+ characters
 * (ids, UUID parts, digests) becomes `#`, digit runs inside other words become `#`, and a 3-digit HTTP status
 * keeps its class (`2xx`). Returns a 52-bit hash of the masked text; `parts`, when given, receives the text.
 */
function scanTemplate(s: string, from: number, to: number, parts?: string[]): number {
  const end = Math.min(to, from + TEMPLATE_CHARS);
  // Two 32-bit hashes (FNV-1a and a multiplicative one), kept in locals: this loop sees every character.
  let h1 = 0x811c9dc5;
  let h2 = 0;
  let i = from;
  while (i < end && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  let plainFrom = i;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (!isAlnum(c)) {
      h1 = Math.imul(h1 ^ c, 16777619);
      h2 = (Math.imul(h2, 31) + c) | 0;
      i++;
      continue;
    }
    let j = i;
    let digits = 0; // digits, plus dots and colons inside numbers
    let hexOnly = true;
    while (j < end) {
      const d = s.charCodeAt(j);
      if (isDigit(d)) digits++;
      else if (!isAlnum(d)) {
        // a dot or colon between digits continues a number (10.0.0.1:8080, 10:00:01.5)
        if ((d === 46 || d === 58) && isDigit(s.charCodeAt(j - 1)) && isDigit(s.charCodeAt(j + 1))) {
          digits++;
          j++;
          continue;
        }
        break;
      } else if (!isHexLetter(d)) hexOnly = false;
      j++;
    }
    if (digits === 0) {
      for (let k = i; k < j; k++) {
        const d = s.charCodeAt(k);
        h1 = Math.imul(h1 ^ d, 16777619);
        h2 = (Math.imul(h2, 31) + d) | 0;
      }
      i = j;
      continue;
    }
    if (parts && i > plainFrom) parts.push(s.slice(plainFrom, i));
    const len = j - i;
    if (digits === len || (hexOnly && len >= 4)) {
      const status = digits === 3 && len === 3 && c >= 49 && c <= 53 && STATUS_CONTEXT.test(s.slice(Math.max(from, i - 12), i));
      const code = status ? c : 35;
      h1 = Math.imul(h1 ^ code, 16777619);
      h2 = (Math.imul(h2, 31) + code) | 0;
      if (parts) parts.push(status ? `${String.fromCharCode(c)}xx` : "#");
    } else {
      let inDigits = false;
      for (let k = i; k < j; k++) {
        const d = s.charCodeAt(k);
        if (isDigit(d)) {
          if (!inDigits) {
            h1 = Math.imul(h1 ^ 35, 16777619);
      h2 = (Math.imul(h2, 31) + 35) | 0;
            parts?.push("#");
          }
          inDigits = true;
        } else {
          inDigits = false;
          h1 = Math.imul(h1 ^ d, 16777619);
      h2 = (Math.imul(h2, 31) + d) | 0;
          parts?.push(String.fromCharCode(d));
        }
      }
    }
    i = j;
    plainFrom = j;
  }
  if (parts && end > plainFrom) parts.push(s.slice(plainFrom, end));
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
}

function displayLine(raw: string): string {
  let s = raw;
  const cr = s.lastIndexOf("\r", s.length - 2);
  if (cr >= 0) s = s.slice(cr + 1);
  if (s.endsWith("\r")) s = s.slice(0, -1);
  if (s.length > MAX_LINE_CHARS) {
    s = `${s.slice(0, MAX_LINE_CHARS)} …[line truncated: ${s.length.toLocaleString("en-US")} characters]`;
  }
  return s;
}

/** Structural view of a line for stack-trace detection: a kubectl --timestamps prefix removed. */
function structural(line: string): string {
  const c = line.charCodeAt(0);
  return c >= 48 && c <= 57 ? line.replace(K8S_TS_PREFIX, "") : line;
}

function blockEnd(line: (i: number) => string, n: number, i: number): number {
  const head = structural(line(i));
  const py = head.includes("Traceback (most recent call last)");
  const go = /^(?:panic: |fatal error: |goroutine \d+ \[)/.test(head);
  let j = i;
  let pyDone = false;
  while (j + 1 < n && j - i < MAX_BLOCK) {
    const next = structural(line(j + 1));
    if (py) {
      if (PY_CHAIN_RE.test(next)) {
        pyDone = false;
      } else if (next.trim() === "") {
        if (j + 2 >= n || !PY_CHAIN_RE.test(structural(line(j + 2)))) break;
      } else if (CONT_RE.test(next)) {
        if (pyDone) break;
      } else if (!pyDone && j > i) {
        pyDone = true; // the exception line that ends a Python traceback
      } else {
        break;
      }
      j++;
      continue;
    }
    if (CONT_RE.test(next) || (go && (next === "" || GO_FRAME_RE.test(next)))) {
      j++;
      continue;
    }
    break;
  }
  while (j > i && line(j).trim() === "") j--;
  return j;
}

/**
 * Condense a log to a token budget, keeping cited lines, first occurrences of error templates with their
 * stack frames, the start and the tail, and counts in place of repeated lines. Kept lines keep their
 * original 1-based numbers. Pure and linear in the input size.
 */
export function reduceLogs(text: string, options: ReduceOptions = {}): ReducedLog {
  const budget = Math.max(0, Math.floor(options.budgetTokens ?? DEFAULT_BUDGET));
  const context = Math.max(0, Math.floor(options.context ?? DEFAULT_CONTEXT));

  const s = text.includes("\x1b") ? text.replace(ANSI_RE, "") : text;
  // Line boundaries as offsets: no per-line strings for the 99% of lines that will be summarised.
  const starts: number[] = [];
  const ends: number[] = [];
  for (let pos = 0; pos < s.length; ) {
    const nl = s.indexOf("\n", pos);
    const stop = nl < 0 ? s.length : nl;
    starts.push(pos);
    ends.push(stop > pos && s.charCodeAt(stop - 1) === 13 ? stop - 1 : stop);
    pos = stop + 1;
  }
  const n = starts.length;
  if (n === 0) return { text: "", tokens: 0, keptLines: 0, totalLines: 0, lines: [], overBudget: false };
  const rawLine = (i: number) => s.slice(starts[i] ?? 0, ends[i] ?? 0);

  const templateIds = new Int32Array(n);
  const templateFirst: number[] = [];
  const ids = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const hash = scanTemplate(s, starts[i] ?? 0, ends[i] ?? 0);
    let id = ids.get(hash);
    if (id === undefined) {
      id = templateFirst.length;
      templateFirst.push(i);
      ids.set(hash, id);
    }
    templateIds[i] = id;
  }
  const templateText = (t: number) => {
    const i = templateFirst[t] ?? 0;
    const parts: string[] = [];
    scanTemplate(s, starts[i] ?? 0, ends[i] ?? 0, parts);
    return parts.join("").trim();
  };
  const lineAt = (offset: number, from: number) => {
    let i = from;
    while (i + 1 < n && (starts[i + 1] ?? 0) <= offset) i++;
    return i;
  };

  const display = new Array<string | undefined>(n);
  const text_ = (i: number) => (display[i] ??= displayLine(rawLine(i)));
  const width = String(n).length;
  const prefix = (i: number) => `${String(i + 1).padStart(width)}| `;
  const costCache = new Int32Array(n);
  const cost = (i: number) => {
    if (costCache[i] === 0) costCache[i] = estimateTokens(prefix(i) + text_(i)) + 2;
    return (costCache[i] ?? 1) - 1; // stored +1 so 0 means "not computed"; the other +1 is the newline
  };

  // One regex pass over the whole text each for errors and warnings, mapped to lines by offset.
  const isWarn = new Uint8Array(n);
  let li = 0;
  for (const m of s.matchAll(WARN_RE)) {
    li = lineAt(m.index, li);
    isWarn[li] = 1;
  }
  const blocks: Array<{ start: number; end: number }> = [];
  const seenBlocks = new Set<string>();
  li = 0;
  let after = -1;
  for (const m of s.matchAll(ERROR_RE)) {
    li = lineAt(m.index, li);
    if (li <= after) continue;
    const end = blockEnd(rawLine, n, li);
    const key = `${templateIds[li]}:${templateIds[end]}`;
    if (!seenBlocks.has(key)) {
      seenBlocks.add(key);
      blocks.push({ start: li, end });
    }
    isWarn[li] = 0;
    after = end;
  }

  const kept = new Uint8Array(n);
  const keptPerTemplate = new Int32Array(templateFirst.length);
  const added: number[] = [];
  let used = GAP_COST;
  let mandatoryCost = 0;

  const gapDelta = (i: number) => {
    const left = i > 0 && !kept[i - 1];
    const right = i < n - 1 && !kept[i + 1];
    return left && right ? 1 : !left && !right ? -1 : 0;
  };
  const mark = (i: number) => {
    kept[i] = 1;
    const t = templateIds[i] ?? 0;
    keptPerTemplate[t] = (keptPerTemplate[t] ?? 0) + 1;
  };
  const unmark = (i: number) => {
    kept[i] = 0;
    const t = templateIds[i] ?? 0;
    keptPerTemplate[t] = (keptPerTemplate[t] ?? 0) - 1;
  };
  const tryAdd = (i: number): boolean => {
    if (i < 0 || i >= n || kept[i]) return true;
    const c = cost(i) + gapDelta(i) * GAP_COST;
    if (used + c > budget) return false;
    used += c;
    mark(i);
    added.push(i);
    return true;
  };

  const cited = [...new Set(options.keepLines ?? [])].filter((l) => Number.isInteger(l) && l >= 1 && l <= n).sort((a, b) => a - b);
  for (const l of cited) {
    const i = l - 1;
    if (kept[i]) continue;
    const c = cost(i) + gapDelta(i) * GAP_COST;
    used += c;
    mandatoryCost += cost(i);
    mark(i);
  }
  const overBudget = mandatoryCost > budget;

  const warnFirst: number[] = [];
  const seenWarn = new Set<number>();
  for (let i = 0; i < n; i++) {
    const t = templateIds[i] ?? 0;
    if (isWarn[i] && !seenWarn.has(t)) {
      seenWarn.add(t);
      warnFirst.push(i);
    }
  }
  const blockHeads = blocks.flatMap((b) => (b.end > b.start ? [b.start, b.end] : [b.start]));
  // Frames nearest the header and the exception line matter most: first/last halves of each block.
  const blockSlice = (b: { start: number; end: number }, keep: number) => {
    const len = b.end - b.start + 1;
    if (len <= keep) return Array.from({ length: len }, (_, k) => b.start + k);
    const half = Math.floor(keep / 2);
    return [...Array.from({ length: half }, (_, k) => b.start + k), ...Array.from({ length: keep - half }, (_, k) => b.end - (keep - half) + 1 + k)];
  };
  const blockCores = blocks.flatMap((b) => blockSlice(b, BLOCK_CORE));
  const blockBodies = blocks.flatMap((b) => blockSlice(b, BLOCK_KEEP));
  const contextLines = cited.flatMap((l) => Array.from({ length: 2 * context + 1 }, (_, k) => l - 1 - context + k));

  const fill = () => {
    let misses = 0;
    const full = () => budget - used < 4 || misses > MAX_TIER_MISSES;
    const offer = (i: number) => {
      if (i < 0 || i >= n || kept[i]) return;
      if (tryAdd(i)) misses = 0;
      else misses++;
    };
    const tier = (indices: number[], accept?: (i: number) => boolean) => {
      misses = 0;
      for (const i of indices) {
        if (full()) return;
        if (!accept || accept(i)) offer(i);
      }
    };
    tier(blockHeads);
    tier(contextLines);
    tier(blockCores);
    misses = 0;
    for (let i = n - 1; i >= Math.max(0, n - TAIL) && !full(); i--) offer(i);
    misses = 0;
    for (let i = 0; i < Math.min(n, HEAD) && !full(); i++) offer(i);
    tier(blockBodies);
    tier(warnFirst);
    misses = 0;
    for (let i = n - 1; i >= 0 && !full(); i--) {
      if ((keptPerTemplate[templateIds[i] ?? 0] ?? 0) < PER_TEMPLATE_TAIL) offer(i);
    }
    tier(templateFirst, (i) => (keptPerTemplate[templateIds[i] ?? 0] ?? 0) === 0);
  };

  const render = (): Omit<ReducedLog, "totalLines" | "overBudget"> => {
    const lines: ReducedLine[] = [];
    const out: string[] = [];
    if (overBudget) {
      out.push(`[note: the ${cited.length} cited lines alone need about ${mandatoryCost} tokens, over the ${budget}-token budget; all are kept]`);
    }
    let keptLines = 0;
    for (let i = 0; i < n; i++) {
      if (kept[i]) {
        keptLines++;
        lines.push({ n: i + 1, text: text_(i) });
        out.push(prefix(i) + text_(i));
        continue;
      }
      let j = i;
      while (j + 1 < n && !kept[j + 1]) j++;
      summarizeGap(i, j, lines, out);
      i = j;
    }
    const rendered = out.join("\n");
    return { text: rendered, tokens: estimateTokens(rendered), keptLines, lines };
  };

  const summarizeGap = (a: number, b: number, lines: ReducedLine[], out: string[]) => {
    const total = b - a + 1;
    const counts = new Map<number, { count: number; from: number; to: number }>();
    for (let i = a; i <= b; i++) {
      const t = templateIds[i] ?? 0;
      const c = counts.get(t);
      if (c) {
        c.count++;
        c.to = i;
      } else counts.set(t, { count: 1, from: i, to: i });
    }
    const top = [...counts.entries()]
      .filter(([, c]) => c.count >= 3)
      .sort((x, y) => y[1].count - x[1].count)
      .slice(0, 2)
      .sort((x, y) => x[1].from - y[1].from);
    const repeated = top.reduce((sum, [, c]) => sum + c.count, 0);
    const others = total - repeated;
    if (others > 0) {
      lines.push({ omitted: others, from: a + 1, to: b + 1 });
      out.push(
        top.length
          ? `… ${others} other line${others === 1 ? "" : "s"} omitted (lines ${a + 1}-${b + 1}) …`
          : `… ${others} line${others === 1 ? "" : "s"} omitted (lines ${a + 1}-${b + 1}) …`,
      );
    }
    for (const [t, c] of top) {
      const full = templateText(t);
      const shown = full.length > TEMPLATE_SHOWN ? `${full.slice(0, TEMPLATE_SHOWN)}…` : full;
      lines.push({ repeat: c.count, template: shown, from: c.from + 1, to: c.to + 1 });
      out.push(`[x${c.count} similar: ${shown}] (lines ${c.from + 1}-${c.to + 1})`);
    }
  };

  // A log that fits whole is kept whole (cheap check first: no line costs less than 1 token per 6 chars).
  let all = s.length <= budget * 6 ? GAP_COST : Infinity;
  for (let i = 0; i < n && all <= budget; i++) if (!kept[i]) all += cost(i);
  if (all <= budget) {
    for (let i = 0; i < n; i++) if (!kept[i]) mark(i);
  } else {
    fill();
  }
  let result = render();
  // The gap charge is an estimate: refill with the exact count, then trim the lowest priorities if over.
  if (result.tokens < budget - 16) {
    used = result.tokens;
    fill();
    result = render();
  }
  for (let round = 0; round < 40 && result.tokens > budget && added.length > 0; round++) {
    let shed = result.tokens - budget + GAP_COST;
    while (shed > 0 && added.length > 0) {
      const i = added.pop() ?? 0;
      unmark(i);
      shed -= cost(i);
    }
    result = render();
  }
  if (result.tokens > budget && result.keptLines === 0) {
    // Even the gap's summary does not fit: say how many lines there were, in one line, if that fits.
    const text = `… ${n} line${n === 1 ? "" : "s"} omitted (lines 1-${n}) …`;
    const tokens = estimateTokens(text);
    if (n > 0 && tokens <= budget) return { text, tokens, keptLines: 0, totalLines: n, lines: [{ omitted: n, from: 1, to: n }], overBudget };
    return { text: "", tokens: 0, keptLines: 0, totalLines: n, lines: [], overBudget };
  }
  return { ...result, totalLines: n, overBudget: overBudget || result.tokens > budget };
}

/** A condensed log, with what happened to the lines the signals cite (their proof). */
export interface CondensedLog extends ReducedLog {
  /** Distinct lines the signals cite. */
  citedLines: number;
  /** Cited lines left out because even they did not fit the budget (the strongest signals' are kept first). */
  droppedCitedLines: number;
}

export interface CondensedLogs {
  logs?: CondensedLog;
  previousLogs?: CondensedLog;
}

/** The share of the budget the current logs get when both logs exist; the previous container gets the rest. */
const CURRENT_LOGS_SHARE = 0.55;

/**
 * The logs as the analysis sends them to Gemini: each condensed around the lines the signals cite, in at
 * most `budgetTokens` together. When both logs exist the previous container (which usually holds the
 * crash) gets a fair share. Unlike reduceLogs alone, the budget is a hard limit: when the cited lines do
 * not all fit, those of the strongest signals are kept and `droppedCitedLines` says how many were not.
 */
export function condenseLogs(
  bundle: { logs?: string; previousLogs?: string },
  signals: ReadonlyArray<{ evidence: ReadonlyArray<{ source: string; line?: number }> }>,
  budgetTokens: number,
): CondensedLogs {
  const cited = (source: "logs" | "previousLogs") => [
    ...new Set(signals.flatMap((s) => s.evidence.filter((e) => e.source === source && e.line !== undefined && Number.isInteger(e.line) && e.line >= 1).map((e) => e.line ?? 0))),
  ];
  const both = bundle.logs !== undefined && bundle.previousLogs !== undefined;
  const logsBudget = both ? Math.round(budgetTokens * CURRENT_LOGS_SHARE) : budgetTokens;
  const prevBudget = both ? budgetTokens - logsBudget : budgetTokens;
  return {
    ...(bundle.logs !== undefined ? { logs: condenseOne(bundle.logs, logsBudget, cited("logs")) } : {}),
    ...(bundle.previousLogs !== undefined ? { previousLogs: condenseOne(bundle.previousLogs, prevBudget, cited("previousLogs")) } : {}),
  };
}

/** reduceLogs within a hard budget: the longest prefix of `cited` (in priority order) that fits. */
function condenseOne(text: string, budget: number, cited: number[]): CondensedLog {
  const attempt = (k: number) => reduceLogs(text, { budgetTokens: budget, keepLines: cited.slice(0, k) });
  const whole = attempt(cited.length);
  const inRange = new Set(cited.filter((l) => l <= whole.totalLines)).size;
  if (whole.tokens <= budget) return { ...whole, citedLines: inRange, droppedCitedLines: 0 };
  // Binary search over how many cited lines to keep: O(log cited) linear passes. `lo` always fits.
  let lo = 0;
  let best = attempt(0);
  let hi = cited.length - 1;
  if (best.tokens > budget) {
    best = { text: "", tokens: 0, keptLines: 0, totalLines: whole.totalLines, lines: [], overBudget: true };
    hi = -1;
  }
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const r = attempt(mid);
    if (r.tokens <= budget) {
      lo = mid;
      best = r;
    } else hi = mid - 1;
  }
  // Lower tiers may have kept some of the cited lines anyway: count what is really missing.
  const shown = new Set(best.lines.map((l) => ("n" in l ? l.n : 0)));
  const missing = new Set(cited.filter((l) => l <= whole.totalLines && !shown.has(l))).size;
  return { ...best, overBudget: missing > 0, citedLines: inRange, droppedCitedLines: missing };
}
