import type { Report, ReportEvidence } from "@/lib/analysis/types";
import { codeSpan, escapeMarkdown, fenceFor } from "@/lib/markdown/safe";

/**
 * THE markdown renderer for a report, used by the UI, the GitHub issue and the CLI. It treats every
 * string in a report as untrusted (lib/markdown/safe): prose is escaped so no raw HTML or markdown links
 * reach GitHub, quotes and commands go in code spans and fences that nothing inside can close.
 */

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function inline(text: string): string {
  return escapeMarkdown(oneLine(text));
}

/** A fenced block, indented for a list item, that nothing inside can close. */
function fenced(text: string, lang = "", indent = ""): string {
  const f = fenceFor(text);
  const body = text.replace(/\r/g, "").split("\n").map((l) => `${indent}${l}`.trimEnd());
  return [`${indent}${f}${lang}`, ...body, `${indent}${f}`].join("\n");
}

function paragraphs(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => escapeMarkdown(p.trim()).replace(/\n/g, "  \n"))
    .filter(Boolean)
    .join("\n\n");
}

function evidenceLine(e: ReportEvidence): string {
  const where = [e.source, e.line ? `line ${e.line}` : undefined].filter(Boolean).join(", ");
  const mark = e.verified ? "" : "⚠ unverified — not found in the gathered evidence: ";
  const suffix = where ? ` (${where})` : "";
  if (e.text.includes("\n")) return `- ${mark}quote${suffix}:\n\n${fenced(e.text, "text", "  ")}`;
  return `- ${mark}${codeSpan(oneLine(e.text))}${suffix}`;
}

function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Render a report as markdown: the one renderer for the UI, the GitHub issue body and the CLI. */
export function renderReportMarkdown(report: Report): string {
  const out: string[] = ["## Root-cause analysis"];
  if (report.source === "offline") {
    out.push(`**${report.offlineReason ? `Offline analysis (Gemini unavailable: ${inline(report.offlineReason)})` : "Offline analysis"}**`);
  }

  out.push("### Summary", paragraphs(report.summary) || "_No summary._");
  if (report.insufficientEvidence) out.push("> ⚠ The gathered evidence is not enough to decide the root cause.");
  if (report.pastIncidents?.length) {
    out.push(
      "### Seen before",
      report.pastIncidents.map((p) => `- ${p.applies ? "**A past fix applies:** " : ""}${inline(p.note)} (analysis ${codeSpan(p.analysisId)})`).join("\n"),
    );
  }

  out.push("### Root-cause hypotheses");
  if (!report.hypotheses.length) out.push("_No hypothesis: the evidence does not match a known failure._");
  report.hypotheses.forEach((h, i) => {
    const meta = [`**Likelihood:** ${h.likelihood}`, h.category ? `**Category:** ${h.category}` : undefined].filter(Boolean).join(" · ");
    const block = [`#### ${i + 1}. ${inline(h.title)}`, meta];
    if (h.explanation.trim()) block.push(paragraphs(h.explanation));
    block.push(h.evidence.length ? ["**Evidence:**", ...h.evidence.map(evidenceLine)].join("\n") : "_No evidence quoted._");
    out.push(block.join("\n\n"));
  });

  out.push("### Impact", paragraphs(report.impact) || "_Not assessed._");

  out.push("### Immediate actions");
  if (!report.immediateActions.length) out.push("_None suggested._");
  else {
    out.push(
      report.immediateActions
        .map((a, i) => {
          const marker = `${i + 1}. `;
          // An action of one hypothesis says which: the list is not one fix for everything.
          const item = `${marker}${a.hypothesis ? `_For hypothesis ${a.hypothesis}:_ ` : ""}${inline(a.step)}`;
          return a.command?.trim() ? `${item}\n\n${fenced(a.command.trim(), "bash", " ".repeat(marker.length))}` : item;
        })
        .join("\n\n"),
    );
  }

  out.push("### Prevention", report.prevention.length ? report.prevention.map((p) => `- ${inline(p)}`).join("\n") : "_None suggested._");

  const footer = [
    `Source: ${report.source}`,
    `Model: ${report.model ? inline(report.model) : "none"}`,
    report.usage ? `Tokens: ${report.usage.inputTokens} in / ${report.usage.outputTokens} out` : undefined,
    report.durationMs !== undefined ? `Time: ${fmtMs(report.durationMs)}` : undefined,
    `Generated: ${inline(report.generatedAt)}`,
  ].filter(Boolean);
  out.push("---", footer.join(" · "));
  return `${out.join("\n\n")}\n`;
}
