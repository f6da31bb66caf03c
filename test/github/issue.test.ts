import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { AppError } from "@/lib/errors";
import {
  ISSUE_BODY_LIMIT,
  buildIssue,
  fingerprintMarker,
  hasFingerprintMarker,
  neutralizeMarkdown,
  severityLabel,
} from "@/lib/github/issue";
import { SAMPLE_MARKDOWN, linkableReferences, parseMarkdown, sampleBundle, sampleReport } from "./fixtures";

const FP = "c6eadffa33fcdf37";
const ANALYSIS_URL = "http://console.example:3000/analyses/42";

function build(bundle = sampleBundle(), reportMarkdown = SAMPLE_MARKDOWN, analysisUrl: string | undefined = ANALYSIS_URL) {
  return buildIssue({ report: sampleReport(), reportMarkdown, bundle, fingerprint: FP, analysisUrl });
}

describe("buildIssue: title and labels", () => {
  it("titles the issue after the alert and pod, and labels it with the severity", () => {
    const issue = build();
    expect(issue.title).toBe("[PRODUCTION ALERT] KubePodCrashLooping - web-1");
    expect(issue.labels).toEqual(["production-alert", "ai-analysis", "critical"]);
  });

  it("maps warning and drops severities it has no label for", () => {
    const labels = (severity: string) =>
      build(sampleBundle({ alert: { ...sampleBundle().alert, labels: { ...sampleBundle().alert.labels, severity } } })).labels;
    expect(labels("warning")).toEqual(["production-alert", "ai-analysis", "warning"]);
    expect(labels("info")).toEqual(["production-alert", "ai-analysis"]);
    expect(severityLabel("Critical")).toBe("critical");
    expect(severityLabel(undefined)).toBeUndefined();
  });

  it("keeps hostile titles on one line, bounded, and unlinked", () => {
    const base = sampleBundle();
    const issue = build(
      sampleBundle({ alert: { ...base.alert, labels: { ...base.alert.labels, alertname: `Boom\n@admin fix #12 ${"x".repeat(400)}` } } }),
    );
    expect(issue.title).not.toMatch(/[\r\n]/);
    expect(issue.title.length).toBeLessThanOrEqual(256);
    expect(issue.title.startsWith("[PRODUCTION ALERT] Boom ")).toBe(true);
    expect(linkableReferences(issue.title)).toEqual([]);
  });
});

describe("buildIssue: body structure", () => {
  it("puts the report first, then raw logs, previous logs, events, metadata and the marker", () => {
    const { body } = build();
    expect(body.startsWith(SAMPLE_MARKDOWN)).toBe(true);
    expect(body).toContain(
      "<details><summary>Raw logs: last 2 lines of web</summary>\n\n```text\nstarting server\nlistening on :8080\n```\n\n</details>",
    );
    expect(body).toContain(
      "<details><summary>Previous container logs: last 3 lines of web</summary>\n\n```text\nstarting server\nLoading weights\nKilled\n```\n\n</details>",
    );
    const order = ["## Summary", "Raw logs:", "Previous container logs:", "Kubernetes events", "### Alert metadata", fingerprintMarker(FP)].map(
      (s) => body.indexOf(s),
    );
    expect(order.every((v) => v >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(body.trimEnd().split("\n").at(-1)).toBe(fingerprintMarker(FP));
    expect(hasFingerprintMarker(body, FP)).toBe(true);
  });

  it("renders events as a table inside details, warnings first", () => {
    const { body } = build();
    const start = body.indexOf("<details><summary>Kubernetes events: 2 (1 warnings)</summary>\n\n| Type | Reason | Count | Last seen | Message |\n|---|---|---|---|---|\n");
    expect(start).toBeGreaterThanOrEqual(0);
    const rows = body.slice(start).split("\n").filter((l) => l.startsWith("| Warning") || l.startsWith("| Normal"));
    expect(rows).toEqual([
      "| Warning | BackOff | 12 | 2026-11-20T10:03:40Z | Back-off restarting failed container web in pod web-1_prod(5f0c) |",
      "| Normal | Pulled | 3 | 2026-11-20T10:03:00Z | Container image already present on machine |",
    ]);
    expect(body.slice(start)).toMatch(/\|\n\n<\/details>/);
  });

  it("writes a metadata block with cluster, namespace, labels, start time and links", () => {
    const { body } = build();
    const meta = body.slice(body.indexOf("### Alert metadata"));
    expect(meta).toContain("- **Cluster:** `gke-prod`");
    expect(meta).toContain("- **Namespace:** `prod`");
    expect(meta).toContain("- **Pod:** `web-1`");
    expect(meta).toContain("- **Container:** `web`");
    expect(meta).toContain("- **Started at:** `2026-11-20T09:58:03.157Z`");
    expect(meta).toContain(`- **Analysis:** [open in the triage console](<${ANALYSIS_URL}>)`);
    expect(meta).toContain("- **Source:** [alert query](<http://prometheus:9090/graph?g0.expr=kube_pod_container_status_restarts_total>)");
    expect(meta).toContain("`alertname=KubePodCrashLooping`");
    expect(meta).toContain("`severity=critical`");
  });

  it("escapes table cells and drops non-http links", () => {
    const base = sampleBundle();
    const { body } = build(
      sampleBundle({
        alert: { ...base.alert, generatorURL: "javascript:alert(1)" },
        events: [{ type: "Warning", reason: "Failed", message: "a | b\n</details><img src=x> ping @sre-team about #7", count: 1, lastTimestamp: "2026-11-20T10:00:00Z" }],
      }),
    );
    const row = body.split("\n").find((l) => l.startsWith("| Warning | Failed"));
    expect(row).toBeDefined();
    expect(row).toContain("a \\| b &lt;/details&gt;&lt;img src=x&gt;");
    expect(row?.split(/(?<!\\)\|/).length).toBe(7);
    expect(linkableReferences(row ?? "")).toEqual([]);
    expect(body).not.toContain("javascript:");
  });

  it("omits sections that have no evidence and says what is missing", () => {
    const { body } = build(
      sampleBundle({ logs: undefined, previousLogs: undefined, events: [], errors: [{ part: "logs", code: 403, message: "pods/log is forbidden" }] }),
    );
    expect(body).not.toContain("<details>");
    expect(body).toContain("- **Missing logs:** pods/log is forbidden");
  });
});

describe("buildIssue: size bounds", () => {
  it("keeps a 200,000-line log under the limit, newest lines kept, with a note on what was cut", () => {
    const lines = Array.from({ length: 200_000 }, (_, i) => `2026-11-20T10:00:00Z line ${i + 1} worker heartbeat ok`);
    const { body } = build(sampleBundle({ logs: lines.join("\n"), previousLogs: lines.join("\n"), tailLines: 200_000 }));
    expect(body.length).toBeLessThanOrEqual(ISSUE_BODY_LIMIT);
    expect(body).toContain("line 200000 worker heartbeat ok");
    expect(body).not.toContain("line 1 worker heartbeat ok\n");
    const note = /> ✂️ ([\d,]+) older lines cut to fit GitHub's 65,536-character limit; see all of them \[in the console analysis\]\(<([^>]+)>\) or with `kubectl logs --context gke-prod -n prod web-1 -c web`\./.exec(body);
    expect(note?.[2]).toBe(ANALYSIS_URL);
    const cut = Number((note?.[1] ?? "").replace(/,/g, ""));
    const shown = /Raw logs: last 200000 lines of web \(newest (\d+) shown\)/.exec(body);
    expect(cut + Number(shown?.[1])).toBe(200_000);
    expect(cut).toBeGreaterThan(190_000);
    expect(body).toContain("`kubectl logs --context gke-prod -n prod web-1 -c web --previous`");
    const parsed = parseMarkdown(body);
    expect(parsed.unclosed).toBe(false);
    expect(body.trimEnd().endsWith(fingerprintMarker(FP))).toBe(true);
  });

  it("bounds a huge report and closes a fence the cut left open", () => {
    const report = `## Summary\n\n${"word ".repeat(5000)}\n\n\`\`\`\n${"code line\n".repeat(5000)}\`\`\`\n`;
    const { body } = build(sampleBundle(), report);
    expect(body.length).toBeLessThanOrEqual(ISSUE_BODY_LIMIT);
    expect(body).toContain("The report was cut at 20,000 characters");
    const parsed = parseMarkdown(body);
    expect(parsed.unclosed).toBe(false);
    expect(parsed.outsideLines.some((l) => l.text === fingerprintMarker(FP))).toBe(true);
    expect(parsed.blocks.some((b) => b.content.includes("Killed"))).toBe(true);
  });

  it("holds the limit for arbitrary log text", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("`", "``", "```", "@ops", "#9", "~~~", "a", "\n", "\n", "<!-- x -->", "|", " "), { maxLength: 400 }),
        fc.integer({ min: 1, max: 40 }),
        (parts, repeat) => {
          const log = parts.join("").repeat(repeat * 10);
          const { body } = build(sampleBundle({ logs: log, previousLogs: log }));
          const parsed = parseMarkdown(body);
          expect(body.length).toBeLessThanOrEqual(ISSUE_BODY_LIMIT);
          expect(parsed.unclosed).toBe(false);
          expect(parsed.outsideLines.at(-2)?.text).toBe(fingerprintMarker(FP));
          expect(linkableReferences(parsed.prose)).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("buildIssue: hostile text", () => {
  const hostileLog = [
    "```",
    "@octocat look at #123 and GH-45",
    "`````` six backticks ``````",
    "</details>",
    "~~~",
    `${fingerprintMarker("someone-else")}`,
    "tail line",
  ].join("\n");

  it("keeps a log full of backticks and mentions inside its fence and pings nobody", () => {
    const { body } = build(
      sampleBundle({ logs: hostileLog, previousLogs: undefined }),
      "## Summary\n\n@alice please check #42, cc ops@example.com (see `@literal` and https://github.com/acme/x/issues/9#top)\n\n```\n@in-code #1\n```",
    );
    const parsed = parseMarkdown(body);
    expect(parsed.unclosed).toBe(false);
    // One block from the report, one from the log: the log did not open or close any fence of its own.
    expect(parsed.blocks).toHaveLength(2);
    const logBlock = parsed.blocks[1];
    expect(logBlock?.fence).toBe("```````");
    expect(logBlock?.content.replace(/\u200B/g, "")).toBe(hostileLog);
    expect(linkableReferences(parsed.prose)).toEqual([]);
    expect(body).toContain("ops@example.com");
    expect(body).toContain("`@literal`");
    expect(body).toContain("https://github.com/acme/x/issues/9#top");
    expect(parsed.blocks[0]?.content).toBe("@in-code #1");
    expect(hasFingerprintMarker(body, "someone-else")).toBe(false);
    expect(hasFingerprintMarker(body, FP)).toBe(true);
  });

  it("closes a fence the model left open, so the sections after the report still render", () => {
    const { body } = build(sampleBundle(), "## Summary\n\n```python\nraise OOM\n<pre>\n");
    const parsed = parseMarkdown(body);
    expect(parsed.unclosed).toBe(false);
    expect(parsed.blocks[0]?.content).toBe("raise OOM\n<pre>");
    expect(parsed.outsideLines.some((l) => l.text.startsWith("<details><summary>Raw logs"))).toBe(true);
    expect(parsed.outsideLines.some((l) => l.text === fingerprintMarker(FP))).toBe(true);
    expect(build(sampleBundle(), "text <pre> and <!-- hidden").body).toContain("text &lt;pre> and &lt;!-- hidden");
  });

  it("leaves e-mail addresses whole and neutralises only prose", () => {
    const out = neutralizeMarkdown("mail ops@example.com or @bob about #3\n\n```\n@bob #3\n```");
    expect(out).toContain("ops@example.com");
    expect(out).toContain("@\u200Bbob about #\u200B3");
    expect(out.endsWith("```\n@bob #3\n```")).toBe(true);
  });

  it("refuses a fingerprint that could break the marker", () => {
    expect(() => buildIssue({ report: sampleReport(), reportMarkdown: "", bundle: sampleBundle(), fingerprint: "x --> <b>" })).toThrow(AppError);
  });
});
