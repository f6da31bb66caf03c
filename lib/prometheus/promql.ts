/**
 * Building PromQL from untrusted label values. Every query the console builds from an alert's labels goes
 * through `matcher`/`selector`, so a label value such as `x"} or vector(1) #` stays a string.
 */

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * A PromQL double-quoted string literal holding exactly `value`. PromQL unquotes with Go's rules: a
 * backslash escapes, a double quote ends the string and a raw newline is an error ("unterminated quoted
 * string"); carriage returns are escaped too so a query never spans lines.
 */
export function promqlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else out += ch;
  }
  return out + '"';
}

export type MatchOp = "=" | "!=";

/**
 * One label matcher, `name="value"` or `name!="value"`, with the value escaped.
 * @throws Error when `name` is not a label name (names are the console's own constants, never input).
 */
export function matcher(name: string, value: string, op: MatchOp = "="): string {
  if (!LABEL_NAME.test(name)) throw new Error(`not a PromQL label name: ${JSON.stringify(name)}`);
  return `${name}${op}${promqlString(value)}`;
}

/**
 * `metric{m1,m2}` from a metric name and matchers made by `matcher`.
 * @throws Error when `metric` is not a metric name.
 */
export function selector(metric: string, matchers: string[]): string {
  if (!METRIC_NAME.test(metric)) throw new Error(`not a PromQL metric name: ${JSON.stringify(metric)}`);
  return `${metric}{${matchers.join(",")}}`;
}
