import type { EvidenceBundle } from "@/lib/cluster/bundle";
import type { EvidenceSource, Hypothesis, Report, ReportEvidence } from "@/lib/analysis/types";
import { summarizePodStatus } from "@/lib/analysis/pod-summary";
import { metricsQuotableLines } from "@/lib/analysis/metrics-summary";
import { changesLines, neighbourhoodLines } from "@/lib/analysis/context";

/**
 * The grounding check: every evidence quote in a report is looked up in the gathered evidence, so a
 * quote the model made up is flagged instead of shown as fact. Matching ignores whitespace
 * differences, a copied line-number prefix ("  123| "), surrounding quotes and ellipses (a quote
 * "a … b" needs both parts, in order). Each source is normalised once, so 2 MB logs stay cheap.
 * A `metrics` quote is stricter: all of it must lie within one line of the metrics summary, and it may
 * not start or end inside a number, so "1.2 GiB" cut out of "31.2 GiB" is not a verified quote.
 */

/** Sources searched as one normalised text; `metrics` is matched line by line (metricsHit). */
type TextSource = Exclude<EvidenceSource, "metrics">;

interface Haystack {
  source: TextSource;
  text: string;
  /** Offsets in `text` where each non-empty original line starts, with its 1-based line number. */
  starts: number[];
  lines: number[];
  /** Only logs have line numbers worth reporting. */
  numbered: boolean;
}

const MIN_QUOTE = 3;
const MAX_OCCURRENCES = 2000;

function normalize(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

function buildHaystack(source: TextSource, rawLines: string[], numbered: boolean): Haystack {
  const parts: string[] = [];
  const starts: number[] = [];
  const lines: number[] = [];
  let offset = 0;
  for (let i = 0; i < rawLines.length; i++) {
    const n = normalize(rawLines[i] ?? "");
    if (!n) continue;
    if (parts.length) offset += 1;
    starts.push(offset);
    lines.push(i + 1);
    parts.push(n);
    offset += n.length;
  }
  return { source, text: parts.join(" "), starts, lines, numbered };
}

function lineAt(h: Haystack, pos: number): number | undefined {
  let lo = 0;
  let hi = h.starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((h.starts[mid] ?? 0) <= pos) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found >= 0 ? h.lines[found] : undefined;
}

/** Leaf values of the pod JSON as "value", "key: value", "key=value" and dotted-path forms. */
function leafLines(value: unknown, path: string[], out: string[]): void {
  if (Array.isArray(value)) {
    for (const v of value) leafLines(v, path, out);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) leafLines(v, [...path, k], out);
  } else if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    const key = path.at(-1) ?? "";
    const dotted = path.join(".");
    out.push(String(value), `${key}: ${value}`, `${key}=${value}`, `${dotted}: ${value}`, `${dotted}=${value}`);
  }
}

function eventTexts(events: Record<string, unknown>[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    for (const k of ["type", "reason", "message", "note"]) {
      const v = e[k];
      if (typeof v === "string" && v) out.push(v);
    }
  }
  return out;
}

/** Lazily built haystacks for one bundle. */
function evidenceIndex(bundle: EvidenceBundle, statusSummary: string | undefined) {
  const cache = new Map<TextSource, Haystack>();
  const build = (s: TextSource): Haystack => {
    switch (s) {
      case "logs":
        return buildHaystack(s, (bundle.logs ?? "").split("\n"), true);
      case "previousLogs":
        return buildHaystack(s, (bundle.previousLogs ?? "").split("\n"), true);
      case "events":
        return buildHaystack(s, eventTexts(bundle.events), false);
      case "status": {
        const leaves: string[] = [];
        if (bundle.pod) leafLines(bundle.pod, [], leaves);
        const summary = statusSummary ?? summarizePodStatus(bundle.pod);
        return buildHaystack(s, [...summary.split("\n"), ...(bundle.pod ? [JSON.stringify(bundle.pod)] : []), ...leaves], false);
      }
      // Quoted from their summary lines, exactly as the prompt shows them.
      case "changes":
        return buildHaystack(s, changesLines(bundle), false);
      case "neighbourhood":
        return buildHaystack(s, neighbourhoodLines(bundle), false);
    }
  };
  return (s: TextSource): Haystack => {
    let h = cache.get(s);
    if (!h) {
      h = build(s);
      cache.set(s, h);
    }
    return h;
  };
}

const WRAPPERS = /^(?:["'`“”‘’«»]|\.{3}|…)+|(?:["'`“”‘’«»]|\.{3}|…)+$/g;
const LINE_PREFIX = /^\s*(?:line\s*)?(\d+)\s*[|│]\s?/i;

interface Quote {
  segments: string[];
  claimedLine?: number;
  /** The quote without a copied line-number prefix, as shown in the report. */
  cleaned: string;
}

/** The model's quote as searchable segments, without wrappers and copied line-number prefixes. */
export function parseQuote(text: string): Quote | undefined {
  let claimedLine: number | undefined;
  const unprefixed = text
    .split("\n")
    .map((l) => {
      const m = l.match(LINE_PREFIX);
      if (!m) return l;
      claimedLine ??= Number(m[1]);
      return l.slice(m[0].length);
    })
    .join("\n");
  const cleaned = unprefixed.trim();
  // Wrappers are dropped for the search only: `"reason":"OOMKilled"` must keep its quotes on display.
  const segments = cleaned
    .replace(WRAPPERS, "")
    .split(/\s*(?:\.{3}|…)\s*/)
    .map(normalize)
    .filter(Boolean);
  if (segments.join("").length < MIN_QUOTE) return undefined;
  return { segments, claimedLine, cleaned };
}

/** Where the quote occurs in one source: the match nearest the claimed line, else the first. */
function findIn(h: Haystack, q: Quote, claimedLine: number | undefined): { line?: number } | undefined {
  const [first, ...rest] = q.segments;
  if (!first) return undefined;
  let best: { line?: number } | undefined;
  let bestDist = Infinity;
  let pos = h.text.indexOf(first);
  for (let n = 0; pos >= 0 && n < MAX_OCCURRENCES; n++) {
    let end = pos + first.length;
    let ok = true;
    for (const seg of rest) {
      const at = h.text.indexOf(seg, end);
      if (at < 0) {
        ok = false;
        break;
      }
      end = at + seg.length;
    }
    if (!ok) break; // a later occurrence of the first part cannot help if the rest is missing after this one
    const line = h.numbered ? lineAt(h, pos) : undefined;
    if (claimedLine === undefined || line === undefined) return { line };
    const dist = Math.abs(line - claimedLine);
    if (dist < bestDist) {
      best = { line };
      bestDist = dist;
      if (dist === 0) break;
    }
    pos = h.text.indexOf(first, pos + 1);
  }
  return best;
}

const ORDER: EvidenceSource[] = ["logs", "previousLogs", "events", "status", "metrics", "changes", "neighbourhood"];

const WORD = /[A-Za-z0-9]/;
const DIGIT = /\d/;

/** True when [start, end) of `line` does not cut a word or a number (`31.2` is one token, `31` is not in it). */
function onTokenBoundary(line: string, start: number, end: number): boolean {
  const a = line[start] ?? "";
  const z = line[end - 1] ?? "";
  const before = line[start - 1] ?? "";
  const after = line[end] ?? "";
  if (WORD.test(a) && WORD.test(before)) return false;
  if (DIGIT.test(a) && (before === "." || before === ",") && DIGIT.test(line[start - 2] ?? "")) return false;
  if (WORD.test(z) && WORD.test(after)) return false;
  if (DIGIT.test(z) && (after === "." || after === ",") && DIGIT.test(line[end + 1] ?? "")) return false;
  return true;
}

/** Whether every segment of the quote lies, in order and on token boundaries, within one summary line. */
function metricsHit(lines: string[], q: Quote): boolean {
  // A copied list marker ("- ") from the summary block is not part of the line.
  const segments = q.segments.map((seg, i) => (i === 0 ? seg.replace(/^[-*•]\s+/, "") : seg)).filter(Boolean);
  if (segments.join("").length < MIN_QUOTE) return false;
  return lines.some((line) => {
    let from = 0;
    for (const seg of segments) {
      let at = line.indexOf(seg, from);
      while (at >= 0 && !onTokenBoundary(line, at, at + seg.length)) at = line.indexOf(seg, at + 1);
      if (at < 0) return false;
      from = at + seg.length;
    }
    return true;
  });
}

function groundEvidence(ev: ReportEvidence, lookup: (s: TextSource) => Haystack, metricLines: () => string[]): ReportEvidence {
  const q = parseQuote(ev.text);
  if (!q) return { ...ev, verified: false };
  const claimed = ev.line ?? q.claimedLine;
  const sources = ev.source ? [ev.source, ...ORDER.filter((s) => s !== ev.source)] : ORDER;
  for (const s of sources) {
    if (s === "metrics") {
      if (metricsHit(metricLines(), q)) return { ...ev, text: q.cleaned.replace(/^[-*•]\s+/, ""), source: s, line: undefined, verified: true };
      continue;
    }
    const hit = findIn(lookup(s), q, claimed);
    if (hit) return { ...ev, text: q.cleaned, source: s, line: hit.line, verified: true };
  }
  return { ...ev, verified: false };
}

function hasVerified(h: Hypothesis): boolean {
  return h.evidence.some((e) => e.verified);
}

/** Mark each evidence quote verified or not against the bundle, and rank unsupported hypotheses last. */
export function groundReport(report: Report, bundle: EvidenceBundle, extra: { statusSummary?: string } = {}): Report {
  const lookup = evidenceIndex(bundle, extra.statusSummary);
  let metricLines: string[] | undefined;
  const lines = () => (metricLines ??= metricsQuotableLines(bundle).map(normalize));
  const hypotheses = report.hypotheses.map((h) => ({ ...h, evidence: h.evidence.map((e) => groundEvidence(e, lookup, lines)) }));
  return { ...report, hypotheses: [...hypotheses.filter(hasVerified), ...hypotheses.filter((h) => !hasVerified(h))] };
}
