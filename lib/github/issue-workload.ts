import type { EvidenceBundle } from "@/lib/cluster/bundle";
import { conditionLine, hpaLine, replicaHealth, taintText, viewHpa, viewNode } from "@/lib/cluster/neighbourhood-view";
import { diffRevisions, relativeToAlert } from "@/lib/cluster/revision-diff";
import { metaOf, sortRevisions } from "@/lib/cluster/workload-view";
import { codeSpan, cut, escapeCell, escapeHtml, fenceFor, stripControls } from "@/lib/markdown/safe";

/**
 * The issue's collapsed "what changed" and "neighbourhood" sections: the workload's revisions with the diff
 * of each against the one before, and the sibling pods, node and HPA. Each section is bounded on its own
 * (CHANGES_LIMIT, NEIGHBOURHOOD_LIMIT); what does not fit is dropped from the end with a note saying so and
 * where to read the rest. Prose goes through the caller's `prose` (mention and marker neutralising); changes
 * sit in fences, which GitHub never links inside.
 */

export const CHANGES_LIMIT = 6_000;
export const NEIGHBOURHOOD_LIMIT = 6_000;
const MAX_POD_ROWS = 20;
const SUMMARY_MAX = 240;
const ZWSP = "\u200B";

/** Prose neutralising (lib/github/issue neutralizeText), passed in so this module does not import its caller. */
export type Prose = (text: string) => string;

const inFence = (s: string) => stripControls(s).replace(/triage:fingerprint=/g, `triage${ZWSP}:fingerprint=`);
const span = (s: string, max = 200) => codeSpan(cut(stripControls(s).replace(/\s+/g, " "), max));

/** Blocks joined in order until the next would pass `budget`; then the note for what was left out. */
function fit(head: string, blocks: string[], tail: string, budget: number, note: (left: number) => string): string {
  let body = "";
  let shown = 0;
  for (const b of blocks) {
    const next = `${body}${b}`;
    if (head.length + next.length + tail.length + note(blocks.length).length + 8 > budget) break;
    body = next;
    shown++;
  }
  const more = shown < blocks.length ? note(blocks.length - shown) : "";
  return `${head}${body}${more}${tail}`;
}

/** The collapsed revision history with diffs; undefined when the bundle holds no revisions. */
export function changesSection(bundle: EvidenceBundle, prose: Prose, seeAll: string, budget = CHANGES_LIMIT): string | undefined {
  const w = bundle.workload;
  if (!w || w.revisions.length === 0) return undefined;
  const revisions = sortRevisions(w.revisions);
  const diffs = revisions.map((r, i) => diffRevisions(r, revisions[i + 1], bundle.alert.startsAt));
  const headline = diffs[0]?.summary[0] ?? "";
  const head = `<details><summary>${escapeHtml(prose(cut(stripControls(`What changed: ${headline}`), SUMMARY_MAX)))}</summary>\n\n${escapeCell(w.kind)} ${span(w.name)}, revisions newest first:\n\n`;
  const blocks = diffs.map((d) => {
    const name = d.current.revision !== undefined ? `Revision ${d.current.revision}` : "Revision";
    const when = d.minutesBeforeAlert !== undefined ? relativeToAlert(d.minutesBeforeAlert) : `created ${d.current.createdAt ?? "at an unknown time"}`;
    const cause = d.current.changeCause ? `; change-cause ${span(d.current.changeCause)}` : "";
    const line = `- **${name}**, ${escapeCell(when)} (${span(d.current.name)}${cause})\n`;
    const lines = d.summary.slice(1).map(inFence);
    if (!d.previous) return `${line}  _The oldest revision kept._\n`;
    if (lines.length === 0) return `${line}  _No change to the pod template._\n`;
    const f = fenceFor(lines.join("\n"));
    return `${line}\n${f}text\n${lines.join("\n")}\n${f}\n\n`;
  });
  return fit(head, blocks, "\n</details>", budget, (left) => `\n> ✂️ ${left} older revision${left === 1 ? "" : "s"} not shown to fit GitHub's limit; ${seeAll}.\n`);
}

/** The collapsed siblings, node and HPA; undefined when the bundle holds none of them. */
export function neighbourhoodSection(bundle: EvidenceBundle, prose: Prose, seeAll: string, budget = NEIGHBOURHOOD_LIMIT): string | undefined {
  const node = viewNode(bundle.node);
  const hpa = viewHpa(bundle.hpa);
  if (!bundle.siblings && !node && !hpa) return undefined;
  const target = bundle.target?.pod ?? (bundle.pod ? metaOf(bundle.pod).name : undefined);
  const health = bundle.siblings ? replicaHealth(bundle.siblings, target) : undefined;
  const troubled = node?.conditions.filter((c) => c.troubled).map((c) => c.type) ?? [];
  const atMax = hpa?.max !== undefined && (hpa.desired ?? hpa.current ?? 0) >= hpa.max;
  const summary = [
    health?.line,
    node ? `node ${node.name}${troubled.length ? `: ${troubled.join(", ")}` : ""}` : undefined,
    hpa ? `HPA ${hpa.current ?? "?"}/${hpa.max ?? "?"}${atMax ? " (at max)" : ""}` : undefined,
  ].filter(Boolean);
  const head = `<details><summary>${escapeHtml(prose(cut(stripControls(`Neighbourhood: ${summary.join(" · ")}`), SUMMARY_MAX)))}</summary>\n\n`;
  const cell = (s: string, max = 120) => prose(escapeCell(cut(stripControls(s), max)));

  const blocks: string[] = [];
  if (node) {
    const conditions = node.conditions.map((c) => `- ${c.troubled ? "⚠ " : ""}${cell(conditionLine(c), 300)}`).join("\n");
    const allocatable = node.allocatable.map(([k, v]) => span(`${k}=${v}`, 80)).join(" ");
    const taints = node.taints.length ? node.taints.map((t) => span(taintText(t), 120)).join(" ") : "none";
    blocks.push(`**Node** ${span(node.name)}${node.unschedulable ? " (cordoned)" : ""}\n\n${conditions}\n\nAllocatable: ${allocatable || "not reported"}\n\nTaints: ${taints}\n\n`);
  }
  if (hpa) {
    const conditions = hpa.conditions.map((c) => `- ${c.troubled ? "⚠ " : ""}${cell(conditionLine(c), 300)}`).join("\n");
    blocks.push(`**${cell(hpaLine(hpa), 300)}**${atMax ? " — at its maximum" : ""}\n\n${conditions}\n\n`);
  }
  if (health && health.total > 0) {
    blocks.push(`**${health.line}**\n\n| Pod | Phase | Ready | Restarts | Node | Reason |\n|---|---|---|---|---|---|\n`);
    for (const r of health.rows.slice(0, MAX_POD_ROWS)) {
      const name = `${cell(r.name, 120)}${r.target ? " (this pod)" : ""}`;
      blocks.push(`| ${r.target ? `**${name}**` : name} | ${cell(r.phase ?? "?")} | ${r.containers ? `${r.readyContainers}/${r.containers}` : r.ready ? "yes" : "no"} | ${r.restarts} | ${cell(r.node ?? "(not scheduled)")} | ${cell(r.reason ?? "")} |\n`);
    }
    if (health.rows.length > MAX_POD_ROWS) blocks.push(`\n_${health.rows.length - MAX_POD_ROWS} more pods not listed._\n`);
  }
  return fit(head, blocks, "\n</details>", budget, (left) => `\n> ✂️ ${left} more line${left === 1 ? "" : "s"} not shown to fit GitHub's limit; ${seeAll}.\n`);
}
