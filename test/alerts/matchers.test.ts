import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { AppError } from "@/lib/errors";
import { formatMatcher, matchAlert, parseFilters, parseMatchers, type Matcher } from "@/lib/alerts/matchers";

const alert = (labels: Record<string, string>) => ({ labels });

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected an AppError");
}

describe("parseMatchers", () => {
  it("parses all four operators, quoted and bare, with braces and spaces", () => {
    expect(parseMatchers('{severity="critical", namespace=~"ml-.*",team!=infra ,pod !~ "web-\\\\d+"}')).toEqual([
      { name: "severity", op: "=", value: "critical" },
      { name: "namespace", op: "=~", value: "ml-.*" },
      { name: "team", op: "!=", value: "infra" },
      { name: "pod", op: "!~", value: "web-\\d+" },
    ]);
  });

  it("keeps commas and escaped quotes inside quoted values", () => {
    expect(parseMatchers('summary="a, b \\"c\\"",x=""')).toEqual([
      { name: "summary", op: "=", value: 'a, b "c"' },
      { name: "x", op: "=", value: "" },
    ]);
  });

  it("treats a spurious escape as a literal backslash, as Alertmanager does", () => {
    expect(parseMatchers('pod=~"web-\\d+"')[0]?.value).toBe("web-\\d+");
  });

  it("returns nothing for an empty filter", () => {
    expect(parseMatchers("  ")).toEqual([]);
    expect(parseMatchers("{}")).toEqual([]);
    expect(parseFilters(["", " "])).toEqual([]);
  });

  it.each([
    ['severity"critical"', 'severity"critical"', "expected one of"],
    ["1abc=x", "1abc=x", "label name"],
    ['a="x', 'a="x', "closing quote"],
    ['a="x" b="y"', 'a="x" b="y"', "commas"],
    ['{a="x"', '{a="x"', "closing }"],
  ])("rejects %s naming the matcher", (input, named, reason) => {
    const e = errorOf(() => parseMatchers(input));
    expect(e.code).toBe("unprocessable");
    expect(e.status).toBe(422);
    expect(e.message).toContain(`"${named}"`);
    expect(e.message).toContain(reason);
    expect(e.hint).toMatch(/matcher syntax/);
  });

  // Alertmanager compiles with Go's regexp (RE2), which refuses these too.
  it.each([
    ['ns=~"[a-"', "not a valid RE2 regex (invalid character class range)"],
    ['pod=~"(a)\\\\1"', "not a valid RE2 regex (invalid escape sequence: `\\1`)"],
    ['pod=~"(?=vllm)v.*"', "not a valid RE2 regex (invalid or unsupported Perl syntax: `(?=`)"],
    ['pod=~"(?!vllm).*"', "not a valid RE2 regex (invalid or unsupported Perl syntax: `(?!`)"],
    ['pod=~"(?<=x)y"', "lookbehind `(?<=` is not supported by RE2"],
    ['pod=~"(?<!x)y"', "lookbehind `(?<!` is not supported by RE2"],
    ['pod=~"a**"', "not a valid RE2 regex (invalid nested repetition operator: `**`)"],
    ['pod=~"a{1001}"', "not a valid RE2 regex (invalid repeat count: `{1001}`)"],
    ['pod=~"\\\\Z"', "not a valid RE2 regex (invalid escape sequence: `\\Z`)"],
  ])("rejects %s as invalid RE2, saying what is wrong", (input, reason) => {
    const e = errorOf(() => parseMatchers(input));
    expect(e.status).toBe(422);
    expect(e.message).toBe(`Invalid matcher "${input}": ${reason}.`);
    expect(e.details).toEqual({ matcher: input });
    expect(e.hint).toMatch(/RE2 syntax, as in Alertmanager/);
  });

  it("accepts the nested quantifiers and overlapping alternations a backtracking engine chokes on", () => {
    for (const re of ["(a+)+$", "(.|.)*x", "(a|a)*$", "((a+))+", "(\\w|\\d)+!", "(a|a?)+"]) {
      expect(parseMatchers(formatMatcher({ name: "pod", op: "=~", value: re }))).toEqual([{ name: "pod", op: "=~", value: re }]);
    }
  });

  it("bounds the compiled size of a regex, not only its length", () => {
    const e = errorOf(() => parseMatchers('pod=~"[a-z]{1000}|[0-9]{1000}|x{1000}"'));
    expect(e.status).toBe(422);
    expect(e.message).toMatch(/compiles to \d+ instructions, more than 2000/);
    expect(e.hint).toMatch(/smaller repeat counts/);
    expect(parseMatchers('pod=~"[a-z]{1000}"')).toHaveLength(1);
  });

  it("names only the bad matcher when others are fine", () => {
    const e = errorOf(() => parseMatchers('severity="critical", namespace=~"ml-(", pod="x"'));
    expect(e.message).toContain('"namespace=~"ml-(""');
    expect(e.message).not.toContain("severity");
  });

  it("limits regex length", () => {
    expect(errorOf(() => parseMatchers(`a=~"${"x".repeat(300)}"`)).message).toContain("longer than 256");
  });

  it("round-trips through formatMatcher for any value", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Matcher["op"]>("=", "!="),
        fc.string({ maxLength: 40 }),
        (op, value) => {
          const m: Matcher = { name: "lbl", op, value };
          expect(parseMatchers(formatMatcher(m))).toEqual([m]);
        },
      ),
    );
  });
});

describe("matchAlert", () => {
  const a = alert({ alertname: "ModelPodOOMKilled", namespace: "ml-serving", severity: "critical" });
  const m = (s: string) => parseMatchers(s);

  it("matches equality and inequality", () => {
    expect(matchAlert(a, m('severity="critical"'))).toBe(true);
    expect(matchAlert(a, m('severity="warning"'))).toBe(false);
    expect(matchAlert(a, m('severity!="warning"'))).toBe(true);
  });

  it("anchors regexes at both ends like Alertmanager", () => {
    expect(matchAlert(a, m('namespace=~"ml-.*"'))).toBe(true);
    expect(matchAlert(a, m('namespace=~"ml"'))).toBe(false);
    expect(matchAlert(a, m('namespace=~"serving"'))).toBe(false);
    expect(matchAlert(a, m('namespace!~"ml-.*"'))).toBe(false);
    expect(matchAlert(a, m('namespace=~"a|ml-serving"'))).toBe(true);
  });

  it("treats a missing label as empty", () => {
    expect(matchAlert(a, m('cluster=""'))).toBe(true);
    expect(matchAlert(a, m('cluster!="prod"'))).toBe(true);
    expect(matchAlert(a, m('cluster=~".+"'))).toBe(false);
  });

  it("reads Go/RE2 syntax that JavaScript's RegExp reads differently or not at all", () => {
    const b = alert({ namespace: "ml-serving", pod: "vLLM-Llama-3-70B-7d9f8b6c4-x2k9p", zone: "zürich-1", note: "a\nb" });
    expect(matchAlert(b, m('namespace=~"(?i)ML-SERVING"'))).toBe(true);
    expect(matchAlert(b, m('pod=~"(?i:vllm)-.*"'))).toBe(true);
    expect(matchAlert(b, m('pod=~"vllm-.*"'))).toBe(false);
    expect(matchAlert(b, m('namespace=~"[[:alpha:]]+-[[:lower:]]+"'))).toBe(true);
    expect(matchAlert(b, m('namespace=~"[[:digit:]]+"'))).toBe(false);
    expect(matchAlert(b, m('zone=~"\\\\pL+-\\\\d"'))).toBe(true);
    expect(matchAlert(b, m('zone=~"\\\\p{Latin}+-1"'))).toBe(true);
    expect(matchAlert(b, m('namespace=~"\\\\Qml-serving\\\\E"'))).toBe(true);
    expect(matchAlert(b, m('namespace=~"\\\\Qml-.*\\\\E"'))).toBe(false);
    expect(matchAlert(b, m('namespace=~"ml-serving\\\\z"'))).toBe(true);
  });

  it("does not let . match a newline unless (?s) says so, as Go's regexp", () => {
    const b = alert({ note: "a\nb" });
    expect(matchAlert(b, m('note=~"a.b"'))).toBe(false);
    expect(matchAlert(b, m('note!~"a.b"'))).toBe(true);
    expect(matchAlert(b, m('note=~"(?s)a.b"'))).toBe(true);
    expect(matchAlert(b, m('note=~"a\\\\nb"'))).toBe(true);
  });

  it("negates the anchored match for !~, a missing label being the empty string", () => {
    expect(matchAlert(a, m('namespace!~"ml"'))).toBe(true);
    expect(matchAlert(a, m('namespace!~"ml-serv.*"'))).toBe(false);
    expect(matchAlert(a, m('cluster!~".+"'))).toBe(true);
    expect(matchAlert(a, m('cluster!~""'))).toBe(false);
    expect(matchAlert(a, m('namespace!~"serving|ml"'))).toBe(true);
  });

  it("requires every matcher", () => {
    expect(matchAlert(a, m('severity="critical",namespace="other"'))).toBe(false);
    expect(matchAlert(a, [])).toBe(true);
  });
});
