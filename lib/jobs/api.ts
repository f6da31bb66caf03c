import { z } from "zod";
import { request } from "@/lib/api-client";

/**
 * The job-queue API as the browser sees it (`/api/jobs`): the response schemas shared by the route
 * handlers and the queue panel, query keys and the calls. Browser-safe: no store, no worker.
 */

export const jobViewSchema = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.string(),
  attempts: z.number(),
  lastError: z.string().optional(),
  analysisId: z.string().optional(),
  /** The lease holder of a running job: the worker id, host:pid:random. */
  owner: z.string().optional(),
  leaseExpiresAt: z.string().optional(),
  updatedAt: z.string(),
});
export type JobView = z.infer<typeof jobViewSchema>;

export const rejectedAlertViewSchema = z.object({
  receivedAt: z.string(),
  receiver: z.string().optional(),
  fingerprint: z.string().optional(),
  labels: z.record(z.string(), z.string()),
  reason: z.string(),
});

export const dispatchViewSchema = z.object({
  id: z.string(),
  status: z.string(),
  attempts: z.number(),
  lastError: z.string().optional(),
  alertName: z.string().optional(),
  target: z.string().optional(),
  severity: z.string().optional(),
  updatedAt: z.string(),
});
export type DispatchView = z.infer<typeof dispatchViewSchema>;

export const dispatchesViewSchema = z.object({
  workflow: z.string(),
  ref: z.string(),
  /** The workflow's runs page on GitHub (the dispatch API returns no run id). */
  runsUrl: z.string().optional(),
  recent: z.array(dispatchViewSchema),
});
export type DispatchesView = z.infer<typeof dispatchesViewSchema>;

/** `GET /api/jobs`: counts by state, running and failed jobs, webhook alerts refused one by one, and workflow dispatches. */
export const queueResponseSchema = z.object({
  counts: z.object({ queued: z.number(), running: z.number(), done: z.number(), failed: z.number() }),
  running: z.array(jobViewSchema),
  failed: z.array(jobViewSchema),
  concurrency: z.number(),
  /** Webhook alerts refused one by one (the rest of their notification was taken). */
  rejectedAlerts: z.object({ total: z.number(), recent: z.array(rejectedAlertViewSchema) }).optional(),
  webhookMode: z.enum(["analyze", "dispatch"]).optional(),
  /** The latest workflow dispatches (WEBHOOK_MODE=dispatch). */
  dispatches: dispatchesViewSchema.optional(),
});
export type QueueResponse = z.infer<typeof queueResponseSchema>;

/** `POST /api/jobs/:id/retry`: the job, queued again. */
export const retryJobResponseSchema = z.object({ id: z.string(), status: z.string() });
export type RetryJobResponse = z.infer<typeof retryJobResponseSchema>;

/** TanStack Query keys for the queue: invalidate `jobKeys.all` after a retry. */
export const jobKeys = {
  all: ["jobs"] as const,
  queue: () => [...jobKeys.all, "queue"] as const,
};

/** @throws ApiError (lib/api-client) */
export function fetchQueue(signal?: AbortSignal): Promise<QueueResponse> {
  return request("/api/jobs", queueResponseSchema, { signal });
}

/** @throws ApiError (lib/api-client) */
export function retryJob(id: string): Promise<RetryJobResponse> {
  return request(`/api/jobs/${encodeURIComponent(id)}/retry`, retryJobResponseSchema, { method: "POST" });
}
