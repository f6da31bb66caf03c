import { RE2JS } from "re2js";
import { AppError } from "@/lib/errors";
import type { Alert } from "@/lib/alerts/types";

/**
 * Alertmanager matcher syntax (`severity="critical"`, `namespace=~"ml-.*"`, `!=`, `!~`), parsed the way
 * Alertmanager 0.25's labels.ParseMatchers does: optional braces, comma-separated, quoted or bare values,
 * only `\"`, `\\` and `\n` unescaped inside quotes. Regexes are RE2 (Go's regexp syntax, linear-time
 * matching, via re2js) compiled as `^(?:value)$` and searched, exactly as Alertmanager's labels.NewMatcher
 * and Matcher.Matches do.
 */

export type MatchOp = "=" | "!=" | "=~" | "!~";

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
}

/** Longest regex accepted, and so the bound on compiling one. */
export const MAX_REGEX_LENGTH = 256;
/**
 * Most RE2 instructions a compiled regex may have. Matching costs instructions × value length, and a
 * counted repeat expands (`[a-z]{1000}` is about 1,000), so a short pattern can still be a large program.
 */
export const MAX_REGEX_PROGRAM = 2_000;
export const MAX_MATCHERS = 20;
export const MAX_FILTER_LENGTH = 2000;

// Two-character operators first so "=~" is not read as "=" followed by "~".
const OPS: readonly MatchOp[] = ["=~", "!~", "!=", "="];
const HINT = 'Use Alertmanager matcher syntax, e.g. severity="critical", namespace=~"ml-.*" (operators = != =~ !~).';
const REGEX_HINT =
  "Matcher regexes use RE2 syntax, as in Alertmanager (https://github.com/google/re2/wiki/Syntax): " +
  'no backreferences (\\1), lookahead (?=, ?!) or lookbehind (?<=, ?<!); e.g. namespace=~"ml-.*", pod=~"(?i)VLLM-.+".';
const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function bad(text: string, reason: string, hint = HINT): AppError {
  return new AppError("unprocessable", `Invalid matcher "${text.trim()}": ${reason}.`, { hint, details: { matcher: text.trim() } });
}

/** RE2's reason (without "error parsing regexp: "), quoting the offending part when it is the user's. */
function syntaxReason(e: unknown, value: string): string {
  const what = e instanceof Error ? ("error" in e && typeof e.error === "string" ? e.error : e.message.replace(/^error parsing regexp: /, "")) : "syntax error";
  const part = e instanceof Error && "input" in e && typeof e.input === "string" ? e.input : "";
  // RE2, like Go, reads "(?<=" as a malformed named group; say what the user meant.
  if (/^\(\?<[=!]/.test(part)) return `lookbehind \`${part.slice(0, 4)}\` is not supported by RE2`;
  return `not a valid RE2 regex (${what}${part && value.includes(part) ? `: \`${part}\`` : ""})`;
}

const regexCache = new Map<string, RE2JS>();

/**
 * The compiled matcher regex for a regex matcher value: `^(?:value)$` with Go's default (Perl) flags, so
 * `.` does not match a newline unless the pattern says `(?s)`. Test a label value with `.test(v)`.
 * @throws AppError unprocessable if it is too long, too large or not valid RE2.
 */
export function compileMatcherRegex(value: string, context = value): RE2JS {
  const hit = regexCache.get(value);
  if (hit) return hit;
  if (value.length > MAX_REGEX_LENGTH) throw bad(context, `regex is longer than ${MAX_REGEX_LENGTH} characters`);
  let re: RE2JS;
  try {
    re = RE2JS.compile(`^(?:${value})$`);
  } catch (e) {
    throw bad(context, syntaxReason(e, value), REGEX_HINT);
  }
  if (re.programSize() > MAX_REGEX_PROGRAM) {
    throw bad(context, `regex compiles to ${re.programSize()} instructions, more than ${MAX_REGEX_PROGRAM}`, "Use smaller repeat counts ({n}) or fewer alternatives.");
  }
  if (regexCache.size > 500) regexCache.clear();
  regexCache.set(value, re);
  return re;
}

/**
 * Parse one filter string holding one or more comma-separated matchers, with or without braces.
 * @throws AppError unprocessable naming the bad matcher.
 */
export function parseMatchers(input: string): Matcher[] {
  if (input.length > MAX_FILTER_LENGTH) throw bad(input.slice(0, 40) + "…", `filter is longer than ${MAX_FILTER_LENGTH} characters`);
  let s = input.trim();
  if (s.startsWith("{")) {
    if (!s.endsWith("}")) throw bad(s, "opening { without a closing }");
    s = s.slice(1, -1);
  } else if (s.endsWith("}")) {
    throw bad(s, "closing } without an opening {");
  }
  const out: Matcher[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < s.length && /\s/.test(s.charAt(i))) i++;
  };
  skipSpace();
  while (i < s.length) {
    const start = i;
    const segmentText = () => {
      const comma = s.indexOf(",", i);
      return s.slice(start, comma === -1 ? s.length : Math.max(comma, i));
    };
    const name = NAME.exec(s.slice(i))?.[0];
    if (!name) throw bad(segmentText() || s.slice(start), "a label name must start with a letter or _ and contain only letters, digits and _");
    i += name.length;
    skipSpace();
    const op = OPS.find((o) => s.startsWith(o, i));
    if (!op) throw bad(segmentText(), `expected one of = != =~ !~ after "${name}"`);
    i += op.length;
    skipSpace();
    let value = "";
    if (s.charAt(i) === '"') {
      i++;
      let closed = false;
      while (i < s.length) {
        const c = s.charAt(i);
        if (c === "\\" && i + 1 < s.length) {
          const n = s.charAt(i + 1);
          value += n === "n" ? "\n" : n === '"' || n === "\\" ? n : `\\${n}`;
          i += 2;
          continue;
        }
        i++;
        if (c === '"') {
          closed = true;
          break;
        }
        value += c;
      }
      if (!closed) throw bad(s.slice(start), "the quoted value has no closing quote");
    } else {
      const comma = s.indexOf(",", i);
      const end = comma === -1 ? s.length : comma;
      value = s.slice(i, end).trim();
      if (value.includes('"')) throw bad(s.slice(start, end), "quote the whole value, e.g. name=\"value\"");
      i = end;
    }
    const text = s.slice(start, i);
    if (op === "=~" || op === "!~") compileMatcherRegex(value, text);
    out.push({ name, op, value });
    if (out.length > MAX_MATCHERS) throw bad(text, `more than ${MAX_MATCHERS} matchers in one filter`);
    skipSpace();
    if (i < s.length) {
      if (s.charAt(i) !== ",") throw bad(segmentText(), "separate matchers with commas");
      i++;
      skipSpace();
    }
  }
  return out;
}

/**
 * Parse every filter value (the repeated `filter` query parameter); empty values are ignored.
 * @throws AppError unprocessable naming the bad matcher.
 */
export function parseFilters(filters: readonly string[]): Matcher[] {
  const all = filters.filter((f) => f.trim() !== "").flatMap(parseMatchers);
  if (all.length > MAX_MATCHERS) throw bad(filters.join(","), `more than ${MAX_MATCHERS} matchers`);
  return all;
}

/** One matcher in the form Alertmanager's `filter` parameter accepts. */
export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.op}"${m.value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** Several matchers as one `{a="b", c=~"d"}` string. */
export function formatMatchers(ms: readonly Matcher[]): string {
  return ms.map(formatMatcher).join(", ");
}

/** Whether a label set satisfies one matcher; a missing label counts as the empty string, as in Alertmanager. */
export function matchLabels(labels: Record<string, string>, m: Matcher): boolean {
  const v = labels[m.name] ?? "";
  switch (m.op) {
    case "=":
      return v === m.value;
    case "!=":
      return v !== m.value;
    case "=~":
      return compileMatcherRegex(m.value).test(v);
    case "!~":
      return !compileMatcherRegex(m.value).test(v);
  }
}

/** Whether an alert's labels satisfy every matcher (an empty list matches everything). */
export function matchAlert(alert: Pick<Alert, "labels">, matchers: readonly Matcher[]): boolean {
  return matchers.every((m) => matchLabels(alert.labels, m));
}
