"use client";

import type { Analysis, AnalysisSummary, IssuePreview } from "@/lib/analysis/view";

/** Query keys for analyses. */
export const analysisKeys = {
  all: ["analyses"] as const,
  list: (filter: Record<string, string | undefined>) => ["analyses", "list", filter] as const,
  detail: (id: string) => ["analyses", "detail", id] as const,
  latest: (fingerprint: string) => ["analyses", "latest", fingerprint] as const,
  preview: (id: string) => ["analyses", "issue-preview", id] as const,
};

/** An error from the console's API, with the hint it sent. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}

async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, headers: { "content-type": "application/json", ...(init?.headers ?? {}) } });
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // A proxy error page, not our API: reported below with the status.
  }
  if (!res.ok) {
    const err = body && typeof body === "object" && "error" in body ? (body.error as { message?: string; hint?: string }) : undefined;
    throw new ApiError(err?.message ?? `Request failed with HTTP ${res.status}`, res.status, err?.hint);
  }
  return body as T;
}

export function fetchAnalysis(id: string) {
  return call<Analysis>(`/api/analyses/${encodeURIComponent(id)}`);
}

export function fetchAnalyses(filter: Record<string, string | undefined>) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
  return call<{ analyses: AnalysisSummary[]; nextCursor?: string }>(`/api/analyses?${q}`);
}

export function startAnalysis(body: { fingerprint?: string; target?: Record<string, string | undefined> }) {
  return call<{ id: string; joined: boolean }>("/api/analyses", { method: "POST", body: JSON.stringify(body) });
}

export function fetchIssuePreview(id: string) {
  return call<IssuePreview>(`/api/analyses/${encodeURIComponent(id)}/issue`);
}

export function fileIssue(id: string) {
  return call<{ action: "created" | "commented"; number: number; url: string }>(`/api/analyses/${encodeURIComponent(id)}/issue`, {
    method: "POST",
    body: "{}",
  });
}
