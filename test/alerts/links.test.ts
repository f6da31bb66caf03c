import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { alertmanagerAlertUrl, alertmanagerFilter, alertmanagerMatchers, alertmanagerSilenceUrl, publicUrlFor } from "@/lib/alerts/links";
import { startAlertmanager, type RunningAlertmanager } from "@/test/helpers/alertmanager";

// Values the UI's parser and Alertmanager's must read back exactly: quotes, backslashes (a Windows path, a
// regex-looking one), the matcher syntax's own characters, a newline, non-ASCII.
const tricky = {
  alertname: 'Quote"d',
  pod: "a\\b",
  path: 'C:\\temp\\"x"',
  regexy: '.*\\d+"',
  syntax: '{a="b", c!~"d"}',
  note: "line1\nline2",
  city: "Zürich",
};

describe("links into Alertmanager's UI", () => {
  it("writes the UI's own filter text: alertname first, values JSON-escaped", () => {
    expect(alertmanagerFilter({ pod: "bert-0", alertname: "ModelPodOOMKilled", namespace: "ml" })).toBe('{alertname="ModelPodOOMKilled", namespace="ml", pod="bert-0"}');
    expect(alertmanagerMatchers({ alertname: 'Quote"d', pod: "a\\b" })).toEqual(['alertname="Quote\\"d"', 'pod="a\\\\b"']);
    expect(alertmanagerMatchers({ note: "x\ny" })).toEqual(['note="x\\ny"']);
  });

  it("reads back every value the way the UI's parser does (a JSON string per matcher)", () => {
    const text = alertmanagerFilter(tricky);
    expect(text.startsWith("{") && text.endsWith("}")).toBe(true);
    // Filter.elm: a name of non-reserved characters, an operator, then a quoted string decoded as JSON.
    const item = /\s*([^{}!=~,\\"'`\s]+)(=~|!~|=|!=)("(?:\\.|[^"\\])*")\s*(,|$)/gy;
    const body = text.slice(1, -1);
    const read: Record<string, string> = {};
    item.lastIndex = 0;
    for (let m = item.exec(body); m; m = item.exec(body)) {
      expect(m[2]).toBe("=");
      read[m[1] ?? ""] = JSON.parse(m[3] ?? "") as string;
      if (item.lastIndex >= body.length) break;
    }
    expect(read).toEqual(tricky);
  });

  it("leaves out a label name the UI cannot parse rather than breaking the whole filter", () => {
    expect(alertmanagerFilter({ alertname: "X", "bad name": "v", "a=b": "v", ok: "1" })).toBe('{alertname="X", ok="1"}');
  });

  it("builds the alerts-page URL with the filter percent-encoded, silenced and inhibited alerts shown", () => {
    const url = alertmanagerAlertUrl("https://am.example.com/prefix/", { alertname: "X", pod: 'p"0' });
    expect(url).toBe(`https://am.example.com/prefix/#/alerts?silenced=true&inhibited=true&active=true&filter=${encodeURIComponent('{alertname="X", pod="p\\"0"}')}`);
    const filter = new URLSearchParams(new URL(url).hash.split("?")[1]).get("filter");
    expect(filter).toBe('{alertname="X", pod="p\\"0"}');
    expect(alertmanagerSilenceUrl("http://am:9093", "3b1c-9f")).toBe("http://am:9093/#/silences/3b1c-9f");
  });

  it("picks the public URL of a source that reported the alert, and none when none is configured", () => {
    const urls = { prod: "https://am.example.com", backup: "https://am-b.example.com" };
    expect(publicUrlFor({ source: "prod", sources: ["prod", "backup"] }, urls)).toBe("https://am.example.com");
    expect(publicUrlFor({ source: "other", sources: ["other", "backup"] }, urls)).toBe("https://am-b.example.com");
    expect(publicUrlFor({ source: "other", sources: ["other"] }, urls)).toBeUndefined();
    expect(publicUrlFor({ source: "prod", sources: ["prod"] }, undefined)).toBeUndefined();
    expect(publicUrlFor({ source: "toString", sources: ["toString"] }, urls)).toBeUndefined();
  });
});

describe("the same matchers against the real Alertmanager", () => {
  let am: RunningAlertmanager;
  beforeAll(async () => {
    am = await startAlertmanager();
    await am.postAlerts([{ labels: tricky }, { labels: { ...tricky, pod: "a\\\\b" } }, { labels: { ...tricky, alertname: "Quoted" } }]);
    await am.waitForAlerts(3);
  });
  afterAll(async () => {
    await am?.stop();
  });

  it("select exactly the alert (the UI sends each matcher to GET /api/v2/alerts?filter= as it is)", async () => {
    const q = new URLSearchParams(alertmanagerMatchers(tricky).map((m) => ["filter", m]));
    const res = await fetch(`${am.url}/api/v2/alerts?${q}`);
    expect(res.status).toBe(200);
    const alerts = z.array(z.object({ labels: z.record(z.string(), z.string()) })).parse(await res.json());
    expect(alerts.map((a) => a.labels)).toEqual([tricky]);
  });
});
