import type { Logger } from "pino";
import type { FailureSignature, IssueState, Resolution, SimilarIncident, SimilarIncidentsResponse } from "@/lib/analysis/similar";
import { AppError, describeError, isAppError } from "@/lib/errors";
import type { IssueFiler } from "@/lib/github/filer";
import type { Store } from "@/lib/store";
import type { CachedIssueState, SimilarAnalysis } from "@/lib/store/models";

/**
 * Earlier incidents with the same failure signature, as the "Seen before" panel, the diagnosis and the
 * issue body use them: the store's matches (same workload first, newest first, bounded), each with its
 * issue's state from a cache GitHub refreshes at most once per ISSUE_STATE_TTL_MS, and the engineer's
 * resolution when a lookup for it is wired.
 */

/** How long a fetched issue state is shown without asking GitHub again. */
export const ISSUE_STATE_TTL_MS = 10 * 60_000;
/** At most this many issue states are asked of GitHub for one list (the rest stay as cached). */
const MAX_REFRESH = 10;
/** How many earlier incidents a list holds. */
export const SIMILAR_LIMIT = 10;

/** The engineer's recorded fixes for these analyses (issue 19's feedback store); none by default. */
export type ResolutionLookup = (analysisIds: readonly string[]) => Promise<ReadonlyMap<string, Resolution>>;

/** An earlier incident's resolution is its latest engineer feedback: what fixed it and which cause was right. */
export function feedbackResolutions(store: Pick<Store, "feedbackFor">): ResolutionLookup {
  return async (ids) =>
    new Map(
      [...(await store.feedbackFor(ids))].map(([id, f]) => [
        id,
        { fix: f.fix, cause: (f.rank === null ? f.actualCause : f.hypothesisTitle) ?? undefined, rightHypothesis: f.rank ?? 0, by: f.actor, at: f.createdAt },
      ]),
    );
}

export interface SimilarIncidentsDeps {
  store: Pick<Store, "getAnalysis" | "similarAnalyses" | "issueStates" | "saveIssueState">;
  filer: Pick<IssueFiler, "configured" | "issueState">;
  resolutions?: ResolutionLookup;
  log: Pick<Logger, "warn">;
  now?: () => number;
}

export interface SimilarList {
  incidents: SimilarIncident[];
  issueStateError?: string;
}

/**
 * The earlier incidents of one signature, with issue states and resolutions.
 * @throws what the store throws (GitHub and resolution failures are reported in the result or logged).
 */
export async function findSimilarIncidents(
  d: SimilarIncidentsDeps,
  signature: Pick<FailureSignature, "signature" | "workloadKey">,
  options: { excludeId?: string; limit?: number } = {},
): Promise<SimilarList> {
  const rows = await d.store.similarAnalyses({ signature: signature.signature, workloadKey: signature.workloadKey, excludeId: options.excludeId, limit: options.limit ?? SIMILAR_LIMIT });
  if (rows.length === 0) return { incidents: [] };
  const [states, resolutions] = await Promise.all([issueStatesOf(d, rows), resolutionsOf(d, rows)]);
  const incidents = rows.map((r): SimilarIncident => {
    const issue = r.issueUrl && r.issueNumber ? states.known.get(r.issueUrl) : undefined;
    const resolution = resolutions.get(r.id);
    return {
      analysisId: r.id,
      createdAt: r.createdAt,
      fingerprint: r.fingerprint,
      ...(r.alertname ? { alertname: r.alertname } : {}),
      ...(r.target?.namespace ? { namespace: r.target.namespace } : {}),
      ...(r.target?.pod ? { pod: r.target.pod } : {}),
      ...(r.workloadKey ? { workloadKey: r.workloadKey } : {}),
      sameWorkload: r.sameWorkload,
      ...(r.signatureParts ? { category: r.signatureParts.category } : {}),
      ...(r.topHypothesis ? { topCause: r.topHypothesis.title } : {}),
      ...(r.issueUrl && r.issueNumber ? { issue: { number: r.issueNumber, url: r.issueUrl, state: issue?.state ?? "unknown", ...(issue ? { checkedAt: issue.checkedAt } : {}) } } : {}),
      ...(resolution ? { resolution } : {}),
    };
  });
  return { incidents, ...(states.error ? { issueStateError: states.error } : {}) };
}

/**
 * The "Seen before" list of one analysis (`GET /api/analyses/:id/similar`).
 * @throws AppError not_found.
 */
export async function similarIncidentsFor(d: SimilarIncidentsDeps, analysisId: string): Promise<SimilarIncidentsResponse> {
  const a = await d.store.getAnalysis(analysisId.slice(0, 64));
  if (!a) throw new AppError("not_found", `No analysis ${analysisId.slice(0, 64)}.`, { hint: "Open the history at /analyses." });
  const githubConfigured = d.filer.configured;
  if (!a.signature || !a.signatureParts) return { incidents: [], githubConfigured };
  const signature: FailureSignature = { signature: a.signature, parts: a.signatureParts, ...(a.workloadKey ? { workloadKey: a.workloadKey } : {}) };
  const list = await findSimilarIncidents(d, signature, { excludeId: a.id });
  return { signature, githubConfigured, ...list };
}

/** The pipeline's lookup (PipelineDeps.pastIncidents): never throws, logs what failed. */
export function pastIncidentsLookup(d: SimilarIncidentsDeps): (signature: FailureSignature, excludeId?: string) => Promise<SimilarIncident[]> {
  return async (signature, excludeId) => {
    try {
      return (await findSimilarIncidents(d, signature, { excludeId, limit: 5 })).incidents;
    } catch (e) {
      d.log.warn({ err: describeError(e), signature: signature.signature }, "similar incidents lookup failed; diagnosing without them");
      return [];
    }
  };
}

/** The issue body's list (FileIssueDeps.similar): never throws, so a store hiccup costs the links, not the filing. */
export function similarForIssue(d: SimilarIncidentsDeps): (analysisId: string) => Promise<SimilarIncident[]> {
  return async (analysisId) => {
    try {
      return (await similarIncidentsFor(d, analysisId)).incidents;
    } catch (e) {
      d.log.warn({ err: describeError(e), analysisId }, "similar incidents lookup failed; the issue goes without them");
      return [];
    }
  };
}

async function resolutionsOf(d: SimilarIncidentsDeps, rows: readonly SimilarAnalysis[]): Promise<ReadonlyMap<string, Resolution>> {
  if (!d.resolutions) return new Map();
  try {
    return await d.resolutions(rows.map((r) => r.id));
  } catch (e) {
    d.log.warn({ err: describeError(e) }, "resolutions lookup failed; similar incidents shown without them");
    return new Map();
  }
}

/** Cached states, refreshed from GitHub when older than the TTL (and GitHub is configured). */
async function issueStatesOf(d: SimilarIncidentsDeps, rows: readonly SimilarAnalysis[]): Promise<{ known: Map<string, { state: IssueState; checkedAt: string }>; error?: string }> {
  const refs = new Map<string, number>();
  for (const r of rows) if (r.issueUrl && r.issueNumber) refs.set(r.issueUrl, r.issueNumber);
  const cached = await d.store.issueStates([...refs.keys()]);
  const known = new Map<string, { state: IssueState; checkedAt: string }>();
  for (const [url, c] of cached) known.set(url, { state: c.state, checkedAt: c.checkedAt });
  if (!d.filer.configured) return { known };
  const now = (d.now ?? Date.now)();
  const stale = [...refs].filter(([url]) => !fresh(cached.get(url), now)).slice(0, MAX_REFRESH);
  let error: string | undefined;
  await Promise.all(
    stale.map(async ([url, number]) => {
      try {
        const state = await d.filer.issueState({ number, url });
        await d.store.saveIssueState({ url, number, state });
        known.set(url, { state, checkedAt: new Date(now).toISOString() });
      } catch (e) {
        d.log.warn({ err: describeError(e), issue: url }, "GitHub issue state not refreshed; showing the last known");
        // Shown to the user: our own messages only, never an unknown error's text.
        error ??= isAppError(e) ? e.message : "GitHub could not be asked for the issue states";
      }
    }),
  );
  return { known, ...(error ? { error } : {}) };
}

function fresh(c: CachedIssueState | undefined, now: number): boolean {
  return !!c && now - Date.parse(c.checkedAt) < ISSUE_STATE_TTL_MS;
}
