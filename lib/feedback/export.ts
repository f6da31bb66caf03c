import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { CaseFilter, Store } from "@/lib/store";
import type { Analysis } from "@/lib/store/models";
import type { Feedback } from "@/lib/feedback/types";

/**
 * `triage feedback export`: the analyses engineers gave feedback on, as evidence bundles with their
 * truth, so a team can re-run the analyzer (`triage analyze --input <case>/bundle.json`) on its own
 * incidents and score it. Each case is a folder named by the analysis id holding bundle.json (the stored
 * bundle, redacted as it was stored) and truth.json; cases.json lists them all.
 */

/** What a case's truth.json holds. Who gave the feedback is left out: the export is meant to be shared. */
export interface CaseTruth {
  analysisId: string;
  fingerprint: string;
  alertname?: string;
  analyzedAt: string;
  source?: "gemini" | "offline";
  model?: string;
  truth: {
    /** The confirmed hypothesis's rank in the report, or null: none was right. */
    rank: number | null;
    hypothesis: { title: string; category?: string } | null;
    category?: string;
    actualCause?: string;
    fix: string;
    givenAt: string;
  };
  /** What the report said, in order, so a re-run can be compared with it. */
  reportHypotheses: { rank: number; title: string; category?: string; likelihood: string }[];
}

export interface ExportResult {
  dir: string;
  written: number;
  /** Cases without a stored bundle (nothing to re-run). */
  skipped: number;
}

const PAGE = 100;
const SAFE_ID = /^[A-Za-z0-9-]{1,64}$/;

export function caseTruth(a: Analysis, f: Feedback): CaseTruth {
  const hypotheses = a.report?.hypotheses ?? [];
  const confirmed = f.rank === null ? undefined : hypotheses[f.rank - 1];
  return {
    analysisId: a.id,
    fingerprint: a.fingerprint,
    ...(a.alertname ? { alertname: a.alertname } : {}),
    analyzedAt: a.createdAt,
    ...(a.source ? { source: a.source } : {}),
    ...(a.model ? { model: a.model } : {}),
    truth: {
      rank: f.rank,
      hypothesis: confirmed ? { title: confirmed.title, ...(confirmed.category ? { category: confirmed.category } : {}) } : f.hypothesisTitle ? { title: f.hypothesisTitle } : null,
      ...(f.category ? { category: f.category } : {}),
      ...(f.actualCause ? { actualCause: f.actualCause } : {}),
      fix: f.fix,
      givenAt: f.createdAt,
    },
    reportHypotheses: hypotheses.map((h, i) => ({ rank: i + 1, title: h.title, ...(h.category ? { category: h.category } : {}), likelihood: h.likelihood })),
  };
}

/**
 * Write every analysis with feedback in the period into outDir (created if missing; a case already there
 * is overwritten), reading the store a page at a time.
 */
export async function exportFeedbackCases(store: Pick<Store, "feedbackCasePage">, outDir: string, filter: CaseFilter = {}): Promise<ExportResult> {
  const dir = resolve(outDir);
  await mkdir(dir, { recursive: true });
  const index: { analysisId: string; rank: number | null; category?: string; source?: string }[] = [];
  let skipped = 0;
  let after: { createdAt: string; id: string } | undefined;
  for (;;) {
    const page = await store.feedbackCasePage({ ...filter, after, limit: PAGE });
    for (const { analysis, feedback } of page) {
      if (!analysis.bundle || !SAFE_ID.test(analysis.id)) {
        skipped++;
        continue;
      }
      const truth = caseTruth(analysis, feedback);
      const caseDir = join(dir, analysis.id);
      await mkdir(caseDir, { recursive: true });
      await writeFile(join(caseDir, "bundle.json"), JSON.stringify(analysis.bundle, null, 2) + "\n");
      await writeFile(join(caseDir, "truth.json"), JSON.stringify(truth, null, 2) + "\n");
      index.push({ analysisId: analysis.id, rank: feedback.rank, ...(truth.truth.category ? { category: truth.truth.category } : {}), ...(analysis.source ? { source: analysis.source } : {}) });
    }
    const last = page[page.length - 1];
    if (!last || page.length < PAGE) break;
    after = { createdAt: last.analysis.createdAt, id: last.analysis.id };
  }
  await writeFile(join(dir, "cases.json"), JSON.stringify(index, null, 2) + "\n");
  return { dir, written: index.length, skipped };
}
