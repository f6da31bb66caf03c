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

/** The fence still open at the end of `markdown` (CommonMark rules), or undefined when all are closed. */
export function openFence(markdown: string): string | undefined {
  let fence: { ch: string; len: number } | undefined;
  for (const line of markdown.split("\n")) {
    const run = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (!run) continue;
    if (!fence) fence = { ch: run[0] ?? "`", len: run.length };
    else if (run[0] === fence.ch && run.length >= fence.len && /^ {0,3}[`~]+\s*$/.test(line)) fence = undefined;
  }
  return fence ? fence.ch.repeat(fence.len) : undefined;
}
