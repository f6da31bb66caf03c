import { z } from "zod";
import type { Report } from "@/lib/analysis/types";
import type { EvidenceBundle } from "@/lib/cluster/bundle";
import { AppError } from "@/lib/errors";
import { eventRows } from "@/lib/cluster/view";
import { metricsSection } from "@/lib/github/issue-metrics";
import { changesSection, neighbourhoodSection } from "@/lib/github/issue-workload";
import type { SimilarIncident } from "@/lib/analysis/similar";
import { codeSpan, cut, escapeCell, escapeHtml, fenceFor, mapMarkdownLines, mapOutsideCodeSpans, markdownLink, openFence, stripControls } from "@/lib/markdown/safe";

/**
 * The GitHub issue for one incident: title, labels and a body that always fits GitHub's limit.
 *
 * Neutralising pings: in prose (the report, the events table, the title, evidence errors) a zero-width
 * space (U+200B) goes after every `@` that starts a mention and after every `#`/`GH-` that starts an
 * issue number, the way Renovate does it, so GitHub links nobody and nothing while the text reads the
 * same. E-mail addresses keep their `@` untouched (a word character precedes it, and GitHub does not
 * treat those as mentions), URLs are left whole, and code spans and fences are left alone because
 * GitHub never links inside code. Logs only ever appear inside fences.
 */

/** GitHub rejects issue and comment bodies longer than this (JS .length is a safe over-count). */
export const ISSUE_BODY_LIMIT = 65_536;
/** GitHub rejects longer issue titles. */
export const ISSUE_TITLE_LIMIT = 256;
/** Room the builder leaves so the filer can put a header above the body when it posts it as a comment. */
export const COMMENT_HEADER_RESERVE = 256;
export const ALERT_LABEL = "production-alert";
export const AI_LABEL = "ai-analysis";

const REPORT_LIMIT = 20_000;
const EVENTS_LIMIT = 10_000;
const MAX_EVENT_ROWS = 50;
const EVENT_MESSAGE_LIMIT = 500;
const LOG_LINE_LIMIT = 4_000;
const LABEL_VALUE_LIMIT = 200;
const MAX_LABELS = 40;
const ZWSP = "\u200B";
const MAX_SEEN_BEFORE = 10;
const URL_LIMIT = 500;

export interface IssueDraft {
  title: string;
  body: string;
  labels: string[];
}

export interface BuildIssueInput {
  report: Report;
  reportMarkdown: string;
  bundle: EvidenceBundle;
  fingerprint: string;
  analysisUrl?: string;
  /** Earlier incidents with the same failure signature, same workload first (lib/triage/similar-incidents), each with its console link. */
  seenBefore?: ReadonlyArray<SimilarIncident & { analysisUrl?: string }>;
}

const fingerprintSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/);

/** The hidden line that ties an issue to an alert fingerprint; the filer matches it when listing issues. */
export function fingerprintMarker(fingerprint: string): string {
  return `<!-- triage:fingerprint=${fingerprint} -->`;
}

/** True when the body carries the fingerprint marker on a line of its own. */
export function hasFingerprintMarker(body: string, fingerprint: string): boolean {
  return body.split("\n").some((line) => line.trim() === fingerprintMarker(fingerprint));
}

/** Neutralise mentions, issue references and fake markers in a prose fragment (see the module note). */
export function neutralizeText(text: string): string {
  const parts = text.split(/(\bhttps?:\/\/[^\s<>()]+)/g);
  return parts
    .map((part, i) => {
      const marked = part.replace(/triage:fingerprint=/g, `triage${ZWSP}:fingerprint=`);
      if (i % 2 === 1) return marked;
      return marked
        .replace(/(^|[^A-Za-z0-9_])@(?=[A-Za-z0-9])/g, `$1@${ZWSP}`)
        .replace(/(^|[^&])#(?=\d)/g, `$1#${ZWSP}`)
        .replace(/\bGH-(?=\d)/gi, (m) => `${m}${ZWSP}`)
        // Raw HTML blocks that run to their closing tag could swallow the sections after the report.
        .replace(/<(!--|\/?(?:details|summary|pre|script|style|textarea)\b)/gi, "&lt;$1");
    })
    .join("");
}

/** Apply `neutralizeText` to the prose of a markdown document, leaving fences and code spans verbatim. */
export function neutralizeMarkdown(markdown: string): string {
  return mapMarkdownLines(markdown, (line, where) => {
    if (where === "code") return line.replace(/triage:fingerprint=/g, `triage${ZWSP}:fingerprint=`);
    return where === "prose" ? mapOutsideCodeSpans(line, neutralizeText) : line;
  });
}

/** An inline code span for untrusted text of any content, on one line and bounded to `max` characters. */
function boundedCodeSpan(text: string, max = LABEL_VALUE_LIMIT): string {
  const flat = cut(text.replace(/\s*[\r\n]+\s*/g, " "), max);
  return flat === "" ? "(empty)" : codeSpan(flat);
}

function oneLine(text: string): string {
  return stripControls(text).replace(/\s+/g, " ").trim();
}

/** Map an alert severity to the issue label; only the two the rules emit become labels (labels auto-create). */
export function severityLabel(severity: string | undefined): "critical" | "warning" | undefined {
  const s = severity?.trim().toLowerCase();
  if (s === "critical" || s === "page" || s === "error") return "critical";
  if (s === "warning" || s === "warn") return "warning";
  return undefined;
}

/** `[PRODUCTION ALERT] {alertname} - {pod}`, on one line and at most 256 characters. */
export function buildTitle(bundle: EvidenceBundle): string {
  const alertname = oneLine(bundle.alert.labels.alertname ?? "") || "UnknownAlert";
  const pod = oneLine(bundle.target?.pod ?? bundle.alert.labels.pod ?? "") || "unknown-pod";
  return cut(neutralizeText(`[PRODUCTION ALERT] ${alertname} - ${pod}`), ISSUE_TITLE_LIMIT);
}

/** Bound markdown at a line boundary, close any fence left open (by the cut or the model), and say where the rest is. */
function boundMarkdown(markdown: string, max: number, seeAll: string): string {
  if (markdown.length <= max) {
    const open = openFence(markdown);
    return open ? `${markdown}\n${open}` : markdown;
  }
  const note = `\n\n> ✂️ The report was cut at ${max.toLocaleString("en-US")} characters to fit GitHub's limit; ${seeAll}.`;
  let head = markdown.slice(0, Math.max(0, max - note.length - 16));
  const nl = head.lastIndexOf("\n");
  if (nl > 0) head = head.slice(0, nl);
  const open = openFence(head);
  return `${head}${open ? `\n${open}` : ""}${note}`;
}

function eventsSection(events: EvidenceBundle["events"]): string | undefined {
  const rows = eventRows(events);
  if (rows.length === 0) return undefined;
  const warnings = rows.filter((r) => r.type === "Warning").length;
  const cell = (s: string, max = 120) => neutralizeText(escapeCell(cut(stripControls(s), max)));
  const header = `<details><summary>Kubernetes events: ${rows.length} (${warnings} warnings)</summary>\n\n| Type | Reason | Count | Last seen | Message |\n|---|---|---|---|---|\n`;
  const footer = "\n</details>";
  let table = "";
  let shown = 0;
  for (const r of rows.slice(0, MAX_EVENT_ROWS)) {
    const line = `| ${cell(r.type)} | ${cell(r.reason)} | ${r.count} | ${cell(r.lastSeen, 40)} | ${cell(r.message, EVENT_MESSAGE_LIMIT)} |\n`;
    if (header.length + table.length + line.length + footer.length + 120 > EVENTS_LIMIT) break;
    table += line;
    shown++;
  }
  const more = shown < rows.length ? `\n_${rows.length - shown} older or less severe events not shown._\n` : "";
  return `${header}${table}${more}${footer}`;
}

interface RawInput {
  /** "Raw logs" or "Previous container logs". */
  title: string;
  container: string;
  seeAll: string;
}

/** Lines of a log as they will be shown: controls stripped, fake markers broken, very long lines cut. */
function logLines(text: string): string[] {
  const lines = stripControls(text).replace(/triage:fingerprint=/g, `triage${ZWSP}:fingerprint=`).split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((l) => (l.length > LOG_LINE_LIMIT ? `${l.slice(0, LOG_LINE_LIMIT)} … [line cut]` : l));
}

/** A collapsed raw-log section of at most `budget` characters that keeps the newest lines. */
function rawSection(input: RawInput, lines: string[], budget: number): string {
  // The count of lines actually read, not the tail requested: a young container may have written fewer.
  const label = `${input.title}: last ${lines.length} lines of ${input.container}`;
  if (lines.length === 0) {
    return `<details><summary>${escapeHtml(`${input.title}: no lines from ${input.container}`)}</summary>\n\n_The container wrote no log lines._\n\n</details>`;
  }
  const fence = fenceFor(lines.join("\n"));
  const frame = (shown: number) => {
    const cutCount = lines.length - shown;
    const summary = escapeHtml(cutCount > 0 ? `${label} (newest ${shown} shown)` : label);
    const note = cutCount > 0
      ? `> ✂️ ${cutCount.toLocaleString("en-US")} older lines cut to fit GitHub's 65,536-character limit; see all of them ${input.seeAll}.\n\n`
      : "";
    return `<details><summary>${summary}</summary>\n\n${note}${fence}text\n`;
  };
  const tail = `\n${fence}\n\n</details>`;
  const whole = `<details><summary>${escapeHtml(label)}</summary>\n\n${fence}text\n${lines.join("\n")}${tail}`;
  if (whole.length <= budget) return whole;
  // The largest frame: a cut note and a "newest N shown" whose counts have as many digits as the total.
  const overhead = frame(0).length + 2 * String(lines.length).length + tail.length;
  let used = 0;
  let keep = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const cost = (lines[i]?.length ?? 0) + (keep > 0 ? 1 : 0);
    if (overhead + used + cost > budget) break;
    used += cost;
    keep++;
  }
  return `${frame(keep)}${lines.slice(lines.length - keep).join("\n")}${tail}`;
}

function kubectlLogs(bundle: EvidenceBundle, previous: boolean): string {
  const t = bundle.target ?? {};
  const parts = ["kubectl logs"];
  if (t.cluster) parts.push(`--context ${t.cluster}`);
  parts.push(`-n ${t.namespace ?? bundle.alert.labels.namespace ?? "<namespace>"}`);
  parts.push(t.pod ?? bundle.alert.labels.pod ?? "<pod>");
  const container = bundle.container ?? t.container;
  if (container) parts.push(`-c ${container}`);
  if (previous) parts.push("--previous");
  return boundedCodeSpan(parts.join(" "), 600);
}

function metadataSection(input: BuildIssueInput): string {
  const { bundle } = input;
  const labels = bundle.alert.labels;
  const t = bundle.target ?? {};
  const rows: Array<[string, string | undefined]> = [
    ["Cluster", t.cluster ?? labels.cluster],
    ["Namespace", t.namespace ?? labels.namespace],
    ["Pod", t.pod ?? labels.pod],
    ["Container", bundle.container ?? t.container ?? labels.container],
    ["Alert", labels.alertname],
    ["Severity", labels.severity],
    ["Started at", bundle.alert.startsAt],
    ["Fingerprint", input.fingerprint],
  ];
  const lines = rows.flatMap(([k, v]) => (v ? [`- **${k}:** ${boundedCodeSpan(v)}`] : []));
  const analysis = markdownLink("open in the triage console", input.analysisUrl);
  if (analysis) lines.push(`- **Analysis:** ${analysis}`);
  const source = markdownLink("alert query", bundle.alert.generatorURL);
  if (source) lines.push(`- **Source:** ${source}`);
  const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  const shown = entries.slice(0, MAX_LABELS).map(([k, v]) => boundedCodeSpan(`${k}=${v}`));
  if (shown.length > 0) {
    lines.push(`- **Alert labels:** ${shown.join(" ")}${entries.length > MAX_LABELS ? ` and ${entries.length - MAX_LABELS} more` : ""}`);
  }
  for (const e of bundle.errors.slice(0, 10)) {
    lines.push(`- **Missing ${e.part}:** ${neutralizeText(escapeCell(cut(stripControls(e.message), 300)))}`);
  }
  lines.push(`- **Report:** ${input.report.source === "gemini" ? `Gemini (${escapeCell(input.report.model ?? "unknown model")})` : "offline analyzer"}, generated ${escapeCell(input.report.generatedAt)}`);
  return `### Alert metadata\n\n${lines.join("\n")}`;
}

/**
 * The earlier incidents with links to their issues and analyses: the one place the body links other
 * issues on purpose (a link, not a bare #N, so nothing else in the body can make GitHub link one).
 */
function seenBeforeSection(items: BuildIssueInput["seenBefore"]): string | undefined {
  if (!items?.length) return undefined;
  const prose = (t: string, max: number) => neutralizeText(escapeCell(cut(oneLine(t), max)));
  const lines = items.slice(0, MAX_SEEN_BEFORE).map((s) => {
    const parts = [
      escapeCell(s.createdAt.slice(0, 10)),
      s.sameWorkload ? "same workload" : `other workload ${boundedCodeSpan(s.workloadKey ?? "unknown")}`,
      `top cause ${s.category ? codeSpan(s.category) : "unknown"}${s.topCause ? `: ${prose(s.topCause, 160)}` : ""}`,
      ...(s.resolution?.fix ? [`fixed by: ${prose(s.resolution.fix, 240)}`] : []),
    ];
    // Every part is bounded, links included, so the line is never cut inside a link.
    const issue = s.issue && s.issue.url.length <= URL_LIMIT ? markdownLink(`#${s.issue.number}`, s.issue.url) : undefined;
    if (issue && s.issue) parts.push(`issue ${issue}${s.issue.state === "unknown" ? "" : ` (${s.issue.state})`}`);
    const analysis = s.analysisUrl && s.analysisUrl.length <= URL_LIMIT ? markdownLink("analysis", s.analysisUrl) : undefined;
    if (analysis) parts.push(analysis);
    return `- ${parts.join(" · ")}`;
  });
  const more = items.length > MAX_SEEN_BEFORE ? [`- _${items.length - MAX_SEEN_BEFORE} more in the console._`] : [];
  return ["### Seen before", "Earlier incidents with the same failure signature, the same workload first:", "", ...lines, ...more].join("\n");
}

/** Split a character budget between current and previous logs, giving what one does not need to the other. */
function splitBudget(budget: number, needA: number, needB: number): [number, number] {
  if (needA + needB <= budget) return [needA, needB];
  const half = Math.floor(budget / 2);
  if (needB <= half) return [budget - needB, needB];
  if (needA <= half) return [needA, budget - needA];
  return [budget - half, half];
}

/**
 * Build the issue for an analysed alert: title, labels and a body of at most 65,536 characters
 * (less COMMENT_HEADER_RESERVE) in which raw logs lose their oldest lines first. The changes and
 * neighbourhood sections come right after the report, each bounded on its own (lib/github/issue-workload).
 * @throws AppError bad_request when the fingerprint could break the hidden marker.
 */
export function buildIssue(input: BuildIssueInput): IssueDraft {
  if (!fingerprintSchema.safeParse(input.fingerprint).success) {
    throw new AppError("bad_request", "The alert fingerprint is not usable as an issue marker", {
      hint: "Use the Alertmanager fingerprint (letters, digits, . _ : -, at most 128 characters)",
    });
  }
  const { bundle } = input;
  const consoleLink = markdownLink("in the console analysis", input.analysisUrl);
  const seeAll = (previous: boolean) =>
    consoleLink ? `${consoleLink} or with ${kubectlLogs(bundle, previous)}` : `with ${kubectlLogs(bundle, previous)}`;
  const reportSeeAll = consoleLink ? `read it in full ${consoleLink}` : "read it in full in the triage console";
  const container = bundle.container ?? bundle.target?.container ?? "the container";

  const report = boundMarkdown(neutralizeMarkdown(stripControls(input.reportMarkdown).trim()), REPORT_LIMIT, reportSeeAll);
  const events = eventsSection(bundle.events);
  const consoleSeeAll = consoleLink ? `see them all ${consoleLink}` : "see them all in the triage console";
  const changes = changesSection(bundle, neutralizeText, consoleSeeAll);
  const neighbourhood = neighbourhoodSection(bundle, neutralizeText, consoleSeeAll);
  const metadata = metadataSection(input);
  const marker = fingerprintMarker(input.fingerprint);

  const raws: Array<{ input: RawInput; lines: string[] }> = [];
  if (bundle.logs !== undefined) {
    raws.push({ input: { title: "Raw logs", container, seeAll: seeAll(false) }, lines: logLines(bundle.logs) });
  }
  if (bundle.previousLogs !== undefined) {
    raws.push({
      input: { title: "Previous container logs", container, seeAll: seeAll(true) },
      lines: logLines(bundle.previousLogs),
    });
  }

  const metrics = metricsSection(bundle.metrics, neutralizeText);
  const seenBefore = seenBeforeSection(input.seenBefore);
  const assemble = (rawParts: string[], withEvents = true) =>
    [report, seenBefore, withEvents ? metrics : undefined, withEvents ? changes : undefined, withEvents ? neighbourhood : undefined, ...rawParts, withEvents ? events : undefined, metadata, marker].filter((p): p is string => Boolean(p)).join("\n\n") +
    "\n";

  const limit = ISSUE_BODY_LIMIT - COMMENT_HEADER_RESERVE;
  const budget = Math.max(0, limit - assemble([]).length - 2 * raws.length);
  const needs = raws.map((r) => rawSection(r.input, r.lines, Number.MAX_SAFE_INTEGER).length);
  const [a, b] = raws.length === 2 ? splitBudget(budget, needs[0] ?? 0, needs[1] ?? 0) : [budget, 0];
  let body = assemble(raws.map((r, i) => rawSection(r.input, r.lines, i === 0 ? a : b)));
  // Unreachable with the section bounds above; kept so the limit holds even if those bounds change.
  if (body.length > limit) body = assemble([], false);

  const severity = severityLabel(bundle.alert.labels.severity);
  return { title: buildTitle(bundle), body, labels: [ALERT_LABEL, AI_LABEL, ...(severity ? [severity] : [])] };
}
