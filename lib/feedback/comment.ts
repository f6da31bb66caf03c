import { escapeMarkdown, markdownLink, stripControls } from "@/lib/markdown/safe";
import type { Feedback } from "@/lib/feedback/types";
import { neutralizeText } from "@/lib/github/issue";

/** Text from the model or an engineer, as comment prose: escaped, and no @-ping or issue reference (as the issue body). */
const prose = (text: string) => neutralizeText(escapeMarkdown(text));

/** Prose from an engineer, escaped, its lines kept as lines (a quote block, so a list or heading stays text). */
function quoted(text: string): string {
  return stripControls(text)
    .split("\n")
    .map((l) => `> ${prose(l)}`)
    .join("\n");
}

/**
 * The comment posted on the incident's issue when an engineer gives feedback: the verdict, the actual
 * cause when none was right, what fixed it, who and when, and a link back to the analysis. Everything the
 * engineer typed is escaped; a marker names the feedback so a retried job can be recognised.
 */
export function feedbackCommentBody(f: Feedback, analysisUrl: string): string {
  const verdict =
    f.rank === null
      ? "**Verdict:** none of the report's hypotheses was right."
      : // "hypothesis #2" would link issue #2 of the repository.
        `**Verdict:** hypothesis ${f.rank} of the report was right${f.hypothesisTitle ? `: ${prose(stripControls(f.hypothesisTitle).replace(/\n/g, " "))}` : ""}.`;
  const parts = ["### 🩺 Resolution feedback", "", verdict];
  if (f.category) parts.push("", `**Category:** ${prose(f.category)}`);
  if (f.actualCause) parts.push("", "**Actual cause:**", "", quoted(f.actualCause));
  parts.push("", "**What fixed it:**", "", quoted(f.fix));
  const link = markdownLink("the analysis", analysisUrl);
  parts.push("", `Given by ${prose(f.actor)} on ${f.createdAt}${link ? ` · ${link}` : ""}.`, "", `<!-- triage:feedback=${f.id} analysis=${f.analysisId} -->`);
  return parts.join("\n");
}
