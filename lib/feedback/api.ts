import { z } from "zod";
import { request } from "@/lib/api-client";
import { feedbackSchema, type FeedbackInput } from "@/lib/feedback/types";

/**
 * The feedback API as the browser sees it: the response schema shared by the route
 * (app/api/analyses/[id]/feedback) and the feedback card, the query keys and the calls. Browser-safe.
 */

/** `GET` and `POST /api/analyses/:id/feedback`: the latest feedback and the history, newest first. */
export const feedbackStateSchema = z.object({ feedback: feedbackSchema.optional(), history: z.array(feedbackSchema) });
export type FeedbackStateResponse = z.infer<typeof feedbackStateSchema>;

export const feedbackKeys = {
  all: ["feedback"] as const,
  detail: (analysisId: string) => ["feedback", analysisId] as const,
};

function url(analysisId: string): string {
  return `/api/analyses/${encodeURIComponent(analysisId)}/feedback`;
}

/** @throws ApiError (lib/api-client) */
export function fetchFeedback(analysisId: string, signal?: AbortSignal): Promise<FeedbackStateResponse> {
  return request(url(analysisId), feedbackStateSchema, { signal });
}

/** @throws ApiError (lib/api-client) */
export function sendFeedback(analysisId: string, input: FeedbackInput): Promise<FeedbackStateResponse> {
  return request(url(analysisId), feedbackStateSchema, { json: input });
}
