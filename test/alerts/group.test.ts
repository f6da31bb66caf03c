import { describe, expect, it } from "vitest";
import type { Alert } from "@/lib/alerts/types";
import { countChanges, describeAge, formatDuration, groupAlerts, parseGroupBy, severityRank } from "@/lib/alerts/group";
import { mergeAlertLists } from "@/lib/alerts/merge";

let n = 0;
function mk(labels: Record<string, string>, over: Partial<Alert> = {}): Alert {
  n++;
  return {
    fingerprint: `fp${n}`,
    labels,
    annotations: {},
    state: "active",
    startsAt: "2026-11-20T10:00:00Z",
    silencedBy: [],
    inhibitedBy: [],
    receivers: [],
    source: "am",
    sources: ["am"],
    ...over,
  };
}

describe("groupAlerts", () => {
  const alerts = [
    mk({ alertname: "HighCPU", namespace: "b", severity: "warning" }),
    mk({ alertname: "OOM", namespace: "a", severity: "critical" }, { startsAt: "2026-11-20T10:05:00Z" }),
    mk({ alertname: "OOM", namespace: "b", severity: "critical" }, { state: "suppressed" }),
    mk({ alertname: "OOM", namespace: "c", severity: "critical" }, { startsAt: "2026-11-20T09:00:00Z" }),
    mk({ alertname: "Info", severity: "info" }),
  ];

  it("groups by alertname, critical groups first, with counts", () => {
    const g = groupAlerts(alerts);
    expect(g.map((x) => x.key)).toEqual(["OOM", "HighCPU", "Info"]);
    const oom = g[0];
    expect(oom?.counts).toMatchObject({ total: 3, active: 2, suppressed: 1, bySeverity: { critical: 3 } });
    // active before suppressed, longest firing first
    expect(oom?.alerts.map((a) => a.labels.namespace)).toEqual(["c", "a", "b"]);
  });

  it("groups by namespace with a labelled bucket for alerts without one", () => {
    const g = groupAlerts(alerts, "namespace");
    expect(g.map((x) => x.title)).toEqual(["a", "b", "c", "(no namespace)"]);
    expect(g.find((x) => x.key === "b")?.counts.total).toBe(2);
    expect(g.find((x) => x.key === "b")?.topSeverity).toBe("critical");
  });

  it("groups by severity in urgency order", () => {
    expect(groupAlerts(alerts, "severity").map((x) => x.key)).toEqual(["critical", "warning", "info"]);
  });

  it("loses no alert whatever the grouping", () => {
    for (const by of ["alertname", "namespace", "cluster", "severity"] as const) {
      expect(groupAlerts(alerts, by).reduce((s, x) => s + x.counts.total, 0)).toBe(alerts.length);
    }
  });
});

describe("helpers", () => {
  it("ranks severities", () => {
    expect(severityRank("critical")).toBeLessThan(severityRank("warning"));
    expect(severityRank("CRITICAL")).toBe(0);
    expect(severityRank("page")).toBeGreaterThan(severityRank("none"));
    expect(severityRank(undefined)).toBe(severityRank("whatever"));
  });

  it("parses group-by from the URL, defaulting to alertname", () => {
    expect(parseGroupBy("cluster")).toBe("cluster");
    expect(parseGroupBy("constructor")).toBe("alertname");
    expect(parseGroupBy(null)).toBe("alertname");
  });

  it("formats ages", () => {
    expect(formatDuration(45_000)).toBe("45s");
    expect(formatDuration(12 * 60_000 + 5000)).toBe("12m");
    expect(formatDuration(3 * 3600_000 + 5 * 60_000)).toBe("3h 5m");
    expect(formatDuration(50 * 3600_000)).toBe("2d 2h");
    const now = Date.parse("2026-11-20T10:12:00Z");
    expect(describeAge({ state: "active", startsAt: "2026-11-20T10:00:00Z" }, now)).toBe("firing for 12m");
    expect(describeAge({ state: "suppressed", startsAt: "2026-11-20T10:00:00Z" }, now)).toBe("suppressed, firing for 12m");
  });

  it("counts changes between two snapshots", () => {
    const a = mk({ alertname: "A" });
    const b = mk({ alertname: "B" });
    const c = mk({ alertname: "C" });
    expect(countChanges([a, b], [a, b])).toBe(0);
    expect(countChanges([a, b], [a, { ...b, state: "suppressed" }, c])).toBe(2);
    expect(countChanges([a, b, c], [a])).toBe(2);
  });
});

describe("mergeAlertLists", () => {
  it("deduplicates by fingerprint: active wins, sources and receivers unite, earliest start", () => {
    const one = mk({ alertname: "A" }, { fingerprint: "x", source: "am1", sources: ["am1"], state: "suppressed", silencedBy: ["s1"], receivers: ["r1"], startsAt: "2026-11-20T10:00:01Z" });
    const two = { ...one, source: "am2", sources: ["am2"], state: "active" as const, silencedBy: [], receivers: ["r2"], startsAt: "2026-11-20T10:00:00Z" };
    const other = mk({ alertname: "B" }, { source: "am2", sources: ["am2"] });
    const merged = mergeAlertLists([[one], [two, other]]);
    expect(merged).toHaveLength(2);
    expect(merged[0]).toMatchObject({
      fingerprint: "x",
      source: "am1",
      sources: ["am1", "am2"],
      state: "active",
      silencedBy: [],
      receivers: ["r1", "r2"],
      startsAt: "2026-11-20T10:00:00Z",
    });
    expect(merged[1]?.sources).toEqual(["am2"]);
  });

  it("keeps a silence when both peers agree the alert is suppressed", () => {
    const one = mk({ alertname: "A" }, { fingerprint: "y", source: "am1", sources: ["am1"], state: "suppressed", silencedBy: ["s1"] });
    const two = { ...one, source: "am2", sources: ["am2"] };
    expect(mergeAlertLists([[one], [two]])[0]).toMatchObject({ state: "suppressed", silencedBy: ["s1"], sources: ["am1", "am2"] });
  });
});
