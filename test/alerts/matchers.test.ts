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
    ['ns=~"(a+)+"', 'ns=~"(a+)+"', "nested quantifiers"],
    ['ns=~"[a-"', 'ns=~"[a-"', "not a valid regex"],
  ])("rejects %s naming the matcher", (input, named, reason) => {
    const e = errorOf(() => parseMatchers(input));
    expect(e.code).toBe("unprocessable");
    expect(e.status).toBe(422);
    expect(e.message).toContain(`"${named}"`);
    expect(e.message).toContain(reason);
    expect(e.hint).toMatch(/matcher syntax/);
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

  it("requires every matcher", () => {
    expect(matchAlert(a, m('severity="critical",namespace="other"'))).toBe(false);
    expect(matchAlert(a, [])).toBe(true);
  });
});
