import { describe, expect, test } from "vitest";
import { parseMatchers } from "@/lib/alerts/matchers";
import { groupAlerts } from "@/lib/alerts/group";
import type { Alert } from "@/lib/alerts/types";
import {
  HISTORY_SIZE,
  addChipFilter,
  labelSuggestions,
  listKeyAction,
  moveRow,
  parseHideSuppressed,
  parseSortBy,
  pushHistory,
  readStoredFlags,
  readStoredList,
  setFlag,
  sortGroups,
  visibleAlerts,
} from "@/components/alerts/list-view";

function alert(fingerprint: string, labels: Record<string, string>, over: Partial<Alert> = {}): Alert {
  return { fingerprint, labels, annotations: {}, state: "active", startsAt: "2026-03-01T10:00:00Z", silencedBy: [], inhibitedBy: [], receivers: [], source: "am", sources: ["am"], ...over };
}

describe("label chip filters", () => {
  test("click adds label=\"value\", alt-click adds label!=\"value\", both parse as Alertmanager matchers", () => {
    expect(addChipFilter("", "namespace", "ml", false)).toBe('namespace="ml"');
    const f = addChipFilter('severity="critical"', "pod", "vllm-0", true);
    expect(f).toBe('severity="critical", pod!="vllm-0"');
    expect(parseMatchers(f)).toEqual([
      { name: "severity", op: "=", value: "critical" },
      { name: "pod", op: "!=", value: "vllm-0" },
    ]);
  });

  test("a value with quotes and backslashes survives the round trip", () => {
    const f = addChipFilter("", "msg", 'say "hi" \\ bye', false);
    expect(parseMatchers(f)).toEqual([{ name: "msg", op: "=", value: 'say "hi" \\ bye' }]);
  });

  test("the same chip twice is one matcher; the opposite replaces it", () => {
    const once = addChipFilter("", "ns", "a", false);
    expect(addChipFilter(once, "ns", "a", false)).toBe('ns="a"');
    expect(addChipFilter(once, "ns", "a", true)).toBe('ns!="a"');
    expect(addChipFilter('ns!="a", x=~"y.*"', "ns", "a", false)).toBe('x=~"y.*", ns="a"');
  });

  test("a filter that does not parse is kept as typed, the matcher appended (the server names the error)", () => {
    expect(addChipFilter('{severity="a"', "ns", "a", false)).toBe('{severity="a", ns="a"');
  });
});

describe("keyboard shortcuts", () => {
  const on = (key: string, tagName = "BODY", extra: object = {}) => listKeyAction({ key, target: { tagName }, ...extra });

  test("/ j k Enter a ? Esc map to their actions on the page", () => {
    expect(["/", "j", "k", "Enter", "a", "?", "Escape"].map((k) => on(k))).toEqual(["focusFilter", "next", "previous", "open", "analyze", "help", "closeHelp"]);
    expect(on("x")).toBeUndefined();
  });

  test("ignored while typing in an input, textarea, select or editable element, and with Ctrl/Meta/Alt", () => {
    for (const tag of ["INPUT", "TEXTAREA", "SELECT", "input"]) expect(on("j", tag)).toBeUndefined();
    expect(listKeyAction({ key: "/", target: { tagName: "DIV", isContentEditable: true } })).toBeUndefined();
    expect(on("k", "BODY", { ctrlKey: true })).toBeUndefined();
    expect(on("a", "BODY", { metaKey: true })).toBeUndefined();
    expect(on("j", "BODY", { altKey: true })).toBeUndefined();
    expect(on("j", "LI")).toBe("next");
  });

  test("j/k start at the ends and stop at them", () => {
    expect(moveRow(-1, 3, "next")).toBe(0);
    expect(moveRow(-1, 3, "previous")).toBe(2);
    expect(moveRow(0, 3, "next")).toBe(1);
    expect(moveRow(2, 3, "next")).toBe(2);
    expect(moveRow(0, 3, "previous")).toBe(0);
    expect(moveRow(-1, 0, "next")).toBe(-1);
  });
});

describe("sort, suppressed toggle, URL values", () => {
  const a = alert("a", { alertname: "Zeta", severity: "warning" }, { startsAt: "2026-03-01T10:00:00Z" });
  const b = alert("b", { alertname: "Alpha", severity: "critical" }, { startsAt: "2026-03-01T09:00:00Z" });
  const c = alert("c", { alertname: "Mid", severity: "info" }, { startsAt: "2026-03-01T11:00:00Z", state: "suppressed", silencedBy: ["s1"] });
  const groups = groupAlerts([a, b, c], "alertname");

  test("severity keeps groupAlerts' order; start puts the newest first; name sorts by title", () => {
    expect(sortGroups(groups, "severity").map((g) => g.key)).toEqual(["Alpha", "Zeta", "Mid"]);
    expect(sortGroups(groups, "start").map((g) => g.key)).toEqual(["Mid", "Zeta", "Alpha"]);
    expect(sortGroups(groups, "name").map((g) => g.key)).toEqual(["Alpha", "Mid", "Zeta"]);
    const one = groupAlerts([a, b, c], "cluster");
    expect(sortGroups(one, "start")[0]?.alerts.map((x) => x.fingerprint)).toEqual(["c", "a", "b"]);
  });

  test("hiding leaves active alerts only; unknown URL values fall back to the defaults", () => {
    expect(visibleAlerts([a, b, c], true).map((x) => x.fingerprint)).toEqual(["a", "b"]);
    expect(visibleAlerts([a, b, c], false)).toHaveLength(3);
    expect(parseHideSuppressed("hide")).toBe(true);
    expect(parseHideSuppressed("show")).toBe(false);
    expect(parseSortBy("start")).toBe("start");
    expect(parseSortBy("<script>")).toBe("severity");
  });
});

describe("history, suggestions, remembered groups", () => {
  test("history: newest first, no repeats, at most 10", () => {
    let h: string[] = [];
    for (let i = 0; i < 15; i++) h = pushHistory(h, `n="${i}"`);
    h = pushHistory(h, 'n="12"');
    expect(h).toHaveLength(HISTORY_SIZE);
    expect(h[0]).toBe('n="12"');
    expect(h.filter((x) => x === 'n="12"')).toHaveLength(1);
    expect(pushHistory(h, "  ")).toEqual(h);
  });

  test("stored values tolerate junk", () => {
    expect(readStoredList("not json", 10)).toEqual([]);
    expect(readStoredList('["a", 3, "b"]', 10)).toEqual(["a", "b"]);
    expect(readStoredList('{"a":1}', 10)).toEqual([]);
    expect(readStoredFlags('{"alertname:X": false, "y": "no"}')).toEqual({ "alertname:X": false });
    expect(readStoredFlags("[1]")).toEqual({});
    const flags = setFlag(setFlag({}, "a", false), "b", true, 1);
    expect(flags).toEqual({ b: true });
  });

  test("suggestions are the labels present, most common first, as matchers", () => {
    const s = labelSuggestions([alert("1", { ns: "a", pod: "p1" }), alert("2", { ns: "a", pod: "p2" })]);
    expect(s[0]).toBe('ns="a"');
    expect(s).toContain('pod="p2"');
    expect(labelSuggestions([alert("1", { a: "1", b: "2", c: "3" })], 2)).toHaveLength(2);
  });
});
