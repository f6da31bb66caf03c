/**
 * Safe markdown: the rules for putting untrusted text (model output, log lines, label values, event
 * messages) into markdown that GitHub, the console and a terminal render. Prose is escaped; quotes go
 * in code spans and fences that nothing inside can close; links only to http(s). Shared by the report
 * renderer (lib/analysis/report-markdown) and the issue builder (lib/github/issue). Browser-safe.
 */

/** Escape prose so it renders as text: no raw HTML, links, images, emphasis or code from untrusted input. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>&|~#!]/g, (ch, i: number, s: string) => {
    if (ch === "<") return "&lt;";
    if (ch === ">") return "&gt;";
    if (ch === "&") return "&amp;";
    // An underscore inside a word (GEMINI_API_KEY) never starts emphasis; leave it readable.
    if (ch === "_" && /[A-Za-z0-9]/.test(s[i - 1] ?? "") && /[A-Za-z0-9]/.test(s[i + 1] ?? "")) return ch;
    return `\\${ch}`;
  });
}

/** Plain text for HTML: escapes `& < >` and folds newlines. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\s*[\r\n]+\s*/g, " ");
}

/** Plain text for HTML and markdown table cells: escapes `& < > |` and folds newlines. */
export function escapeCell(text: string): string {
  return escapeHtml(text).replace(/\|/g, "\\|");
}

/** Text without terminal escape sequences and control characters; CRLF and CR become LF. */
export function stripControls(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "").replace(/\r\n?/g, "\n").replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");
}

/** Longest run of backticks in text, so a fence or code span can be made longer than any run inside. */
export function longestBacktickRun(text: string): number {
  let max = 0;
  for (const m of text.matchAll(/`+/g)) max = Math.max(max, m[0].length);
  return max;
}

/** Backticks for a fence that no backtick run inside `text` can close (at least three). */
export function fenceFor(text: string): string {
  return "`".repeat(Math.max(3, longestBacktickRun(text) + 1));
}

/** Text, verbatim, in a fenced block that nothing inside can close. */
export function fence(text: string, info = "text"): string {
  const f = fenceFor(text);
  return `${f}${info}\n${text}\n${f}`;
}

/**
 * A code span around one line of text that nothing inside can close: the backtick run is longer than
 * any inside. Folding newlines (and bounding the length) is the caller's choice.
 */
export function codeSpan(text: string): string {
  const ticks = "`".repeat(longestBacktickRun(text) + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** Text bounded to `max` characters, an ellipsis marking the cut. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** The URL when it is http or https (never javascript:, data:, ...), normalised; else undefined. */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/** A markdown link to a safe URL (in angle brackets, so parentheses cannot end it); undefined for any other URL. */
export function markdownLink(text: string, url: string | undefined): string | undefined {
  const href = safeUrl(url);
  return href ? `[${text}](<${href}>)` : undefined;
}

/** Where a markdown line sits: a fence's opening line, inside a fence (its closing line included), or prose. */
export type LineKind = "fence" | "code" | "prose";

const FENCE_RUN = /^ {0,3}(`{3,}|~{3,})/;
const FENCE_CLOSE = /^ {0,3}[`~]+\s*$/;

/** Walk markdown line by line, tracking fences by CommonMark's rules; returns the fence left open, if any. */
function walkLines(markdown: string, visit: (line: string, kind: LineKind) => void): string | undefined {
  let fence: { ch: string; len: number } | undefined;
  for (const line of markdown.split("\n")) {
    const run = FENCE_RUN.exec(line)?.[1];
    if (fence) {
      if (run && run[0] === fence.ch && run.length >= fence.len && FENCE_CLOSE.test(line)) fence = undefined;
      visit(line, "code");
    } else if (run) {
      fence = { ch: run[0] ?? "`", len: run.length };
      visit(line, "fence");
    } else visit(line, "prose");
  }
  return fence ? fence.ch.repeat(fence.len) : undefined;
}

/** Markdown with each line mapped by `f`, which is told whether the line is prose, a fence opening or code. */
export function mapMarkdownLines(markdown: string, f: (line: string, kind: LineKind) => string): string {
  const out: string[] = [];
  walkLines(markdown, (line, kind) => out.push(f(line, kind)));
  return out.join("\n");
}

/** The fence still open at the end of `markdown` (CommonMark rules), or undefined when all are closed. */
export function openFence(markdown: string): string | undefined {
  return walkLines(markdown, () => {});
}

/** One line with `f` applied to the text outside its code spans (a backtick run without its closer is text). */
export function mapOutsideCodeSpans(line: string, f: (s: string) => string): string {
  let out = "";
  let i = 0;
  while (i < line.length) {
    const open = line.indexOf("`", i);
    if (open < 0) break;
    let runEnd = open;
    while (line[runEnd] === "`") runEnd++;
    const ticks = line.slice(open, runEnd);
    const close = findRun(line, ticks, runEnd);
    out += f(line.slice(i, open));
    if (close < 0) {
      out += ticks;
      i = runEnd;
      continue;
    }
    out += line.slice(open, close + ticks.length);
    i = close + ticks.length;
  }
  return out + f(line.slice(i));
}

/** The next run of exactly `ticks` at or after `from`, or -1. */
function findRun(line: string, ticks: string, from: number): number {
  for (let at = line.indexOf(ticks, from); at >= 0; at = line.indexOf(ticks, at + 1)) {
    if (line[at - 1] !== "`" && line[at + ticks.length] !== "`") return at;
  }
  return -1;
}
