import { z } from "zod";
import { signalCategorySchema } from "@/lib/analysis/types";

/**
 * The engineer's feedback on an analysis: which hypothesis was right (its 1-based rank, 1..3) or none
 * (then the actual cause in words), and what fixed it. Browser-safe: schemas only.
 */

/** The highest rank feedback can confirm: top-3 accuracy counts ranks 1..3. */
export const MAX_CONFIRMED_RANK = 3;
export const MAX_CAUSE_CHARS = 2000;
export const MAX_FIX_CHARS = 4000;

/** What became of the comment on the incident's issue. */
export const commentStatusSchema = z.enum(["pending", "posted", "failed", "no_issue", "not_configured"]);
export type CommentStatus = z.infer<typeof commentStatusSchema>;

/** `POST /api/analyses/:id/feedback`: what the engineer sends. */
export const feedbackInputSchema = z
  .object({
    /** The hypothesis that was right (1 = the report's first), or null: none of them. */
    rank: z.number().int().min(1).max(MAX_CONFIRMED_RANK).nullable(),
    actualCause: z.string().trim().max(MAX_CAUSE_CHARS).optional(),
    fix: z.string().trim().min(1).max(MAX_FIX_CHARS),
    /** Only with rank null: the cause's category, from the analyzer's categories. */
    category: signalCategorySchema.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.rank === null && !v.actualCause) {
      ctx.addIssue({ code: "custom", path: [], message: "actual cause is missing: when no hypothesis was right, say in words what the cause was" });
    }
    if (v.rank !== null && v.category) {
      ctx.addIssue({ code: "custom", path: [], message: "category goes with rank null only: a confirmed hypothesis brings its own category" });
    }
  });
export type FeedbackInput = z.input<typeof feedbackInputSchema>;

/** One stored feedback, as the store, the API and the pages read it. */
export const feedbackSchema = z.object({
  id: z.string(),
  analysisId: z.string(),
  actor: z.string(),
  createdAt: z.string(),
  rank: z.number().int().nullable(),
  /** The confirmed hypothesis's title as the report had it. */
  hypothesisTitle: z.string().optional(),
  actualCause: z.string().optional(),
  fix: z.string(),
  /** The case's category: the confirmed hypothesis's, else the engineer's; absent when neither says. */
  category: z.string().optional(),
  comment: z.object({ status: commentStatusSchema, url: z.string().optional() }),
});
export type Feedback = z.infer<typeof feedbackSchema>;

/** What a list row carries of an analysis's latest feedback. */
export const feedbackBadgeSchema = feedbackSchema.pick({ rank: true, category: true, actor: true, createdAt: true });
export type FeedbackBadge = z.infer<typeof feedbackBadgeSchema>;

/** The short verdict lists show: "confirmed #2" or "none". */
export function verdictLabel(f: Pick<Feedback, "rank">): string {
  return f.rank === null ? "none" : `confirmed #${f.rank}`;
}

/** What the comment status means for the engineer who gave the feedback. */
export function commentStatusText(c: Feedback["comment"]): string {
  switch (c.status) {
    case "posted":
      return "Posted as a comment on the incident's issue.";
    case "pending":
      return "Being posted as a comment on the incident's issue.";
    case "failed":
      return "Stored; posting the comment on the incident's issue failed (see the job queue).";
    case "no_issue":
      return "Stored; no comment was posted: this incident has no GitHub issue.";
    case "not_configured":
      return "Stored; no comment was posted: GitHub is not configured (GITHUB_TOKEN, GITHUB_REPOSITORY).";
  }
}
