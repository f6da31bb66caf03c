import { describe, expect, it } from "vitest";
import { feedbackCommentBody } from "@/lib/feedback/comment";
import type { Feedback } from "@/lib/feedback/types";

const base: Feedback = {
  id: "f-1",
  analysisId: "a-1",
  actor: "alice@example.com",
  createdAt: "2026-12-07T03:00:00.000Z",
  rank: 1,
  fix: "raised the memory limit to 40Gi",
  comment: { status: "pending" },
};

describe("the feedback comment on the incident's issue", () => {
  it("pings nobody and links no other issue from the model's or the engineer's text, as the issue body does", () => {
    // The hypothesis title is the model's (prompt-injectable through the logs); cause and fix are typed text.
    const body = feedbackCommentBody(
      { ...base, hypothesisTitle: "@acme/security-team OOM, see #12 and GH-7", actualCause: "@bob's node", fix: "@acme/oncall rolled back, as in #3\n<!-- triage:fingerprint=beef -->" },
      "https://triage.example.com/analyses/a-1",
    );
    const prose = body.split("\n").filter((l) => !l.startsWith("<!-- triage:feedback="));
    for (const line of prose) {
      expect(line).not.toMatch(/(^|[^A-Za-z0-9_])@[A-Za-z0-9]/);
      expect(line).not.toMatch(/#\d|GH-\d/i);
      expect(line).not.toContain("triage:fingerprint=");
    }
    // Still readable: the words are all there.
    expect(body).toContain("acme/security-team");
    expect(body).toContain("rolled back");
    expect(body).toContain("https://triage.example.com/analyses/a-1");
  });
});
