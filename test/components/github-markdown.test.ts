import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { GithubMarkdown } from "@/components/analysis/github-markdown";
import { buildIssue } from "@/lib/github/issue";
import { SAMPLE_MARKDOWN, sampleBundle, sampleReport } from "../github/fixtures";

/** The issue preview renders the body the filer sends the way GitHub does: GFM tables, <details> sections, GitHub's HTML allow-list. */

const render = (md: string) => renderToStaticMarkup(createElement(GithubMarkdown, { children: md }));

describe("GithubMarkdown: the issue preview", () => {
  const body = buildIssue({ report: sampleReport(), reportMarkdown: SAMPLE_MARKDOWN, bundle: sampleBundle(), fingerprint: "c6eadffa33fcdf37", analysisUrl: "http://console.example/analyses/1" }).body;
  const out = render(body);

  it("renders the events section as a table with a header and one row per event", () => {
    const table = out.slice(out.indexOf("<table"), out.indexOf("</table>"));
    expect(table).toContain("<th");
    expect(table).toMatch(/<th[^>]*>Reason<\/th>/);
    const rows = table.match(/<tr>/g) ?? [];
    expect(rows.length).toBe(3); // header + Pulled + BackOff
    expect(table).toMatch(/<td[^>]*>BackOff<\/td>/);
    expect(table).toMatch(/<td[^>]*>Pulled<\/td>/);
  });

  it("keeps the raw-log and events sections as collapsed <details> with their summaries", () => {
    const summaries = [...out.matchAll(/<details[^>]*>\s*<summary[^>]*>([^<]*)<\/summary>/g)].map((m) => m[1]);
    expect(summaries.some((s) => s?.startsWith("Kubernetes events: 2"))).toBe(true);
    expect(summaries.some((s) => s?.startsWith("Raw logs"))).toBe(true);
    expect(summaries.some((s) => s?.startsWith("Previous container logs"))).toBe(true);
    expect(out).not.toMatch(/<details[^>]*\bopen/);
    // Not shown as literal text, as a renderer without raw HTML would.
    expect(out).not.toContain("&lt;details&gt;");
    // The hidden fingerprint marker stays hidden, as on GitHub.
    expect(out).not.toContain("c6eadffa33fcdf37 --");
  });

  it("strips scripts, event handlers, javascript: URLs and images", () => {
    const hostile = render(
      [
        "<script>alert(1)</script>",
        '<img src="https://beacon.example/x.png" onerror="alert(2)">',
        '<a href="javascript:alert(3)">click</a> [md](javascript:alert(4))',
        '<div onclick="alert(5)" style="color:red">box</div>',
        '<details open><summary onmouseover="alert(6)">s</summary>inside</details>',
        "<iframe src=\"https://evil.example\"></iframe>",
      ].join("\n\n"),
    );
    expect(hostile).not.toMatch(/<script|<img|<iframe|onerror|onclick|onmouseover|javascript:|style=/i);
    expect(hostile).toContain("box");
    expect(hostile).toContain("<summary");
    expect(hostile).toContain("inside");
  });
});
