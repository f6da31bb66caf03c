import { z } from "zod";
import { signalCategorySchema } from "@/lib/analysis/types";

/**
 * Similar incidents: the signature's parts (what lib/analysis/signature.ts hashes) and the earlier analyses
 * that share it, as the store, the route (`GET /api/analyses/:id/similar`), the "Seen before" panel, the
 * prompt, the offline report and the issue body see them. Browser-safe: schemas and plain functions.
 */

export const signatureWorkloadSchema = z.object({
  cluster: z.string().max(253).optional(),
  namespace: z.string().max(253),
  kind: z.string().max(100),
  name: z.string().max(253),
});
export type SignatureWorkload = z.infer<typeof signatureWorkloadSchema>;

/** What a signature is made of, stored beside its hash for display. */
export const signaturePartsSchema = z.object({
  version: z.number().int(),
  category: signalCategorySchema,
  templates: z.array(z.string().max(300)).max(5),
  workload: signatureWorkloadSchema.optional(),
});
export type SignatureParts = z.infer<typeof signaturePartsSchema>;

/** A failure signature as stored with its analysis. */
export const storedSignatureSchema = z.object({
  /** 16 hex characters of SHA-256 over the version, category and templates (not the workload). */
  signature: z.string().min(1).max(64),
  /** `cluster/namespace/Kind/name`; absent when the namespace is unknown. */
  workloadKey: z.string().max(1024).optional(),
  parts: signaturePartsSchema,
});
export type FailureSignature = z.infer<typeof storedSignatureSchema>;

/**
 * What the engineer recorded as the fix (filled by an injected lookup: the feedback store of issue 19's
 * item 3; absent until it is wired).
 */
export const resolutionSchema = z.object({
  /** What fixed it, in the engineer's words ("raised the memory limit to 40Gi"). */
  fix: z.string().max(2000).optional(),
  /** The actual cause when no hypothesis was right, or the title of the one that was. */
  cause: z.string().max(1000).optional(),
  /** Which hypothesis (1-based) was right; 0 or absent: none or not said. */
  rightHypothesis: z.number().int().min(0).max(5).optional(),
  by: z.string().max(256).optional(),
  at: z.string().max(64).optional(),
});
export type Resolution = z.infer<typeof resolutionSchema>;

export const issueStateSchema = z.enum(["open", "closed", "gone", "unknown"]);
export type IssueState = z.infer<typeof issueStateSchema>;

/** One earlier analysis with the same failure signature. */
export const similarIncidentSchema = z.object({
  analysisId: z.string().max(64),
  createdAt: z.string(),
  fingerprint: z.string(),
  alertname: z.string().optional(),
  namespace: z.string().optional(),
  pod: z.string().optional(),
  workloadKey: z.string().optional(),
  /** True when it happened on the same workload (listed first). */
  sameWorkload: z.boolean(),
  category: signalCategorySchema.optional(),
  topCause: z.string().optional(),
  issue: z
    .object({
      number: z.number().int().positive(),
      url: z.string(),
      state: issueStateSchema,
      /** When GitHub last said so; absent when it was never asked. */
      checkedAt: z.string().optional(),
    })
    .optional(),
  resolution: resolutionSchema.optional(),
});
export type SimilarIncident = z.infer<typeof similarIncidentSchema>;

/** `GET /api/analyses/:id/similar`. */
export const similarIncidentsResponseSchema = z.object({
  signature: storedSignatureSchema.optional(),
  incidents: z.array(similarIncidentSchema),
  /** False when GITHUB_TOKEN or GITHUB_REPOSITORY is missing: issue states are what the store last knew. */
  githubConfigured: z.boolean(),
  /** Why the issue states could not be refreshed this time (GitHub down, rate limited), when they could not. */
  issueStateError: z.string().optional(),
});
export type SimilarIncidentsResponse = z.infer<typeof similarIncidentsResponseSchema>;

const flat = (s: string, max: number) => {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

/**
 * One line per earlier incident, as Gemini, the offline report and the issue read it:
 * "2026-11-02, same workload: top cause oom_killed (OOMKilled); fixed by raising the memory limit to 40Gi; issue #12 closed".
 */
export function pastIncidentLine(s: SimilarIncident, max = 400): string {
  const parts = [
    `${s.createdAt.slice(0, 10)}, ${s.sameWorkload ? "same workload" : `other workload ${s.workloadKey ?? "(unknown)"}`}`,
    `top cause ${s.category ?? "unknown"}${s.topCause ? ` (${flat(s.topCause, 120)})` : ""}`,
    ...(s.resolution?.fix ? [`fixed by ${flat(s.resolution.fix, 200)}`] : []),
    ...(s.resolution?.cause ? [`actual cause ${flat(s.resolution.cause, 160)}`] : []),
    ...(s.issue ? [`issue #${s.issue.number} ${s.issue.state === "unknown" ? "(state unknown)" : s.issue.state}`] : []),
  ];
  return flat(parts.join("; "), max);
}
