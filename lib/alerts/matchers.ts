import { AppError } from "@/lib/errors";
import type { Alert } from "@/lib/alerts/types";

/**
 * Alertmanager matcher syntax (`severity="critical"`, `namespace=~"ml-.*"`, `!=`, `!~`), parsed the way
 * Alertmanager 0.25's labels.ParseMatchers does: optional braces, comma-separated, quoted or bare values,
 * only `\"`, `\\` and `\n` unescaped inside quotes, regexes anchored at both ends.
 */

export type MatchOp = "=" | "!=" | "=~" | "!~";

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
}

/** Longest regex accepted: label values can be 16 KB, so long patterns are where backtracking hurts. */
export const MAX_REGEX_LENGTH = 256;
export const MAX_MATCHERS = 20;
export const MAX_FILTER_LENGTH = 2000;

// Two-character operators first so "=~" is not read as "=" followed by "~".
const OPS: readonly MatchOp[] = ["=~", "!~", "!=", "="];
const HINT = 'Use Alertmanager matcher syntax, e.g. severity="critical", namespace=~"ml-.*" (operators = != =~ !~).';
const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
// A quantified group that itself contains a quantifier, e.g. (a+)+ or (.*)*: exponential backtracking in JS.
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d+,?\d*\})/;

function bad(text: string, reason: string): AppError {
  return new AppError("unprocessable", `Invalid matcher "${text.trim()}": ${reason}.`, { hint: HINT, details: { matcher: text.trim() } });
}

const regexCache = new Map<string, RegExp>();

/** The anchored RegExp for a regex matcher value. @throws AppError unprocessable if it is unsafe or invalid. */
export function compileMatcherRegex(value: string, context = value): RegExp {
  const hit = regexCache.get(value);
  if (hit) return hit;
  if (value.length > MAX_REGEX_LENGTH) throw bad(context, `regex is longer than ${MAX_REGEX_LENGTH} characters`);
  if (NESTED_QUANTIFIER.test(value)) throw bad(context, "nested quantifiers such as (a+)+ can take exponential time; simplify the regex");
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${value})$`, "s");
  } catch (e) {
    throw bad(context, `not a valid regex (${e instanceof Error ? (e.message.split(": ").pop() ?? e.message) : "syntax error"})`);
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
