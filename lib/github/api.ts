import { z } from "zod";
import { request } from "@/lib/api-client";

/**
 * The issue API of one analysis (`/api/analyses/:id/issue`) as the browser sees it: the response
 * schemas shared by the route handler and the issue dialog, and the calls. Browser-safe.
 */

/** `GET`: the issue that filing would create, whether filing is possible, and the open issue it would comment on. */
export const issuePreviewSchema = z.object({
  title: z.string(),
  labels: z.array(z.string()),
  body: z.string(),
  configured: z.boolean(),
  /** Names of missing settings when not configured (GITHUB_TOKEN, GITHUB_REPOSITORY). */
  missing: z.array(z.string()),
  repository: z.string().optional(),
  existing: z.object({ number: z.number(), url: z.string() }).optional(),
  /** Why this analysis must not be filed (a pod that was not found and nothing found); absent when it may be. */
  refused: z.string().optional(),
});
export type IssuePreview = z.infer<typeof issuePreviewSchema>;

/** `POST`: the issue filed, or the open one commented on. */
export const fileIssueResponseSchema = z.object({ action: z.enum(["created", "commented"]), number: z.number(), url: z.string() });
export type FileIssueResponse = z.infer<typeof fileIssueResponseSchema>;

function issueUrl(analysisId: string): string {
  return `/api/analyses/${encodeURIComponent(analysisId)}/issue`;
}

/** @throws ApiError (lib/api-client) */
export function fetchIssuePreview(analysisId: string, signal?: AbortSignal): Promise<IssuePreview> {
  return request(issueUrl(analysisId), issuePreviewSchema, { signal });
}

/** @throws ApiError (lib/api-client) */
export function fileIssue(analysisId: string): Promise<FileIssueResponse> {
  return request(issueUrl(analysisId), fileIssueResponseSchema, { json: {} });
}
