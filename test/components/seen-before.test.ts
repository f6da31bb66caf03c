import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { SeenBeforeList } from "@/components/analysis/seen-before";
import type { SimilarIncidentsResponse } from "@/lib/analysis/similar";

/** The "Seen before" panel rendered to HTML from a response as GET /api/analyses/:id/similar sends it. */

const signature: NonNullable<SimilarIncidentsResponse["signature"]> = {
  signature: "aed142b2d46779c6",
  workloadKey: "prod-eu/ml-serving/Deployment/embedder",
  parts: { version: 1, category: "oom_killed", templates: ['"reason":"OOMKilled"'], workload: { cluster: "prod-eu", namespace: "ml-serving", kind: "Deployment", name: "embedder" } },
};

const response = (over: Partial<SimilarIncidentsResponse> = {}): SimilarIncidentsResponse => ({
  signature,
  githubConfigured: true,
  incidents: [
    {
      analysisId: "a-same",
      createdAt: "2026-11-02T10:00:00.000Z",
      fingerprint: "fp1",
      alertname: "ModelPodOOMKilled",
      sameWorkload: true,
      category: "oom_killed",
      topCause: "Container embedder was OOMKilled",
      issue: { number: 12, url: "https://github.com/acme/ml/issues/12", state: "closed", checkedAt: "2026-12-07T02:00:00.000Z" },
      resolution: { fix: "raised the memory limit to 40Gi" },
    },
    {
      analysisId: "a-other",
      createdAt: "2026-10-01T10:00:00.000Z",
      fingerprint: "fp2",
      sameWorkload: false,
      workloadKey: "prod-eu/search/Deployment/reranker",
      category: "oom_killed",
      issue: { number: 7, url: "javascript:alert(1)", state: "unknown" },
    },
  ],
  ...over,
});

const html = (data: SimilarIncidentsResponse) => renderToStaticMarkup(createElement(SeenBeforeList, { data }));

describe("Seen before panel", () => {
  it("links each earlier analysis and its issue, same workload first, with the issue's state and the recorded fix", () => {
    const out = html(response());
    expect(out).toContain('href="/analyses/a-same"');
    expect(out).toContain('href="https://github.com/acme/ml/issues/12"');
    expect(out).toMatch(/Issue #12.*closed/);
    expect(out).toContain("Fixed by: raised the memory limit to 40Gi");
    expect(out.indexOf("a-same")).toBeLessThan(out.indexOf("a-other"));
    expect(out).toContain("prod-eu/search/Deployment/reranker");
    // An issue URL that is not http(s) is never a link.
    expect(out).not.toContain("javascript:");
  });

  it("says when GitHub is not configured or the states could not be refreshed", () => {
    expect(html(response({ githubConfigured: false }))).toContain("GitHub is not configured");
    expect(html(response({ issueStateError: "GitHub did not say whether issue #12 is open (503)" }))).toContain("Issue states not refreshed: GitHub did not say whether issue #12 is open (503)");
    expect(html(response())).not.toContain("not configured");
  });

  it("says when nothing matched, and shows nothing for an analysis without a signature", () => {
    expect(html(response({ incidents: [] }))).toContain("No earlier incident with this signature.");
    expect(html({ incidents: [], githubConfigured: true })).toBe("");
  });
});
