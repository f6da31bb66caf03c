import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { formatMatcher, matchAlert, parseMatchers, type MatchOp } from "@/lib/alerts/matchers";
import { startAlertmanager, type PostableAlert, type RunningAlertmanager } from "@/test/helpers/alertmanager";

/**
 * The console's regex matchers against the real Alertmanager's (Go regexp, `^(?:re)$`): for each pattern,
 * the alerts Alertmanager's own `filter` returns must be exactly the ones matchAlert keeps.
 */

const VALUES = [
  "",
  "ml-serving",
  "ML-Serving",
  "ml-serving-canary",
  "a\nb",
  "axb",
  "a.b",
  "zürich-1",
  "vllm-llama-3-70b-instruct-7d9f8b6c4d-x2k9p",
  "a)",
  "xb",
  "tuner-3",
];
// One alert per value, plus one without the label (Alertmanager compares a missing label as "").
const alerts: PostableAlert[] = [
  ...VALUES.map((v, i) => ({ labels: { alertname: "RegexDiff", i: String(i), v } })),
  { labels: { alertname: "RegexDiff", i: "missing" } },
];

const PATTERNS = [
  "ml-.*",
  "ml",
  "serving",
  "ml-serving|tuner-3",
  "(?i)ml-serving",
  "(?i:ML)-serving.*",
  "a.b",
  "(?s)a.b",
  "a\\.b",
  "a\\nb",
  "[[:alpha:]]+-[[:digit:]]",
  "\\pL+-\\d",
  "\\p{Latin}+-1",
  "[^-]*",
  "",
  ".*",
  ".+",
  "\\Qa.b\\E",
  "ml-serving\\z",
  "(?U)a+.*",
  // Not a well-formed group on its own: Go, wrapped as ^(?:a)|(b)$, reads "starts with a, or ends with b".
  "a)|(b",
  "vllm-[a-z0-9-]{10,}-[a-z0-9]{5}",
];

let am: RunningAlertmanager;

beforeAll(async () => {
  am = await startAlertmanager();
  await am.postAlerts(alerts);
  await am.waitForAlerts(alerts.length);
});

afterAll(async () => {
  await am?.stop();
});

const listSchema = z.array(z.object({ labels: z.record(z.string(), z.string()) }));

async function alertmanagerKeeps(filter: string): Promise<string[]> {
  const res = await fetch(`${am.url}/api/v2/alerts?filter=${encodeURIComponent(filter)}&filter=${encodeURIComponent('alertname="RegexDiff"')}`);
  const text = await res.text();
  if (!res.ok) throw new Error(`Alertmanager refused ${filter}: ${res.status} ${text}`);
  return listSchema.parse(JSON.parse(text)).map((a) => a.labels.i ?? "?").sort();
}

describe("regex matchers agree with Alertmanager's", () => {
  it.each(PATTERNS.flatMap((p) => (["=~", "!~"] as MatchOp[]).map((op) => [op, p] as const)))("v%s%j", async (op, pattern) => {
    const filter = formatMatcher({ name: "v", op, value: pattern });
    const ours = alerts.filter((a) => matchAlert(a, parseMatchers(filter))).map((a) => a.labels.i ?? "?").sort();
    expect(ours).toEqual(await alertmanagerKeeps(filter));
  });
});

describe("regex matchers Alertmanager refuses", () => {
  it.each(["(a)\\1", "(?=vllm)v.*", "(?!vllm).*", "(?<=x)y", "a**", "a{1001}", "[a-", "\\Z"])("v=~%j is refused by both", async (pattern) => {
    const filter = formatMatcher({ name: "v", op: "=~", value: pattern });
    expect(() => parseMatchers(filter)).toThrow(/not a valid RE2 regex|not supported by RE2/);
    const res = await fetch(`${am.url}/api/v2/alerts?filter=${encodeURIComponent(filter)}`);
    expect(res.status).toBe(400);
  });
});
