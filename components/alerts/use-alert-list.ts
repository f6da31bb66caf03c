"use client";

import { useQuery } from "@tanstack/react-query";
import { z } from "zod";
import { alertKeys, alertListUrl, readAlertListResponse, type AlertListResponse } from "@/lib/alerts/api";

export const ALERTS_REFETCH_MS = 10_000;

/** A failed /api/alerts call, with the server's message and hint. */
export class AlertsApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "AlertsApiError";
  }
}

const errorBodySchema = z.object({ error: z.object({ message: z.string(), hint: z.string().optional() }) });

/**
 * Fetch the alert list for a filter (matcher syntax) from the console's API.
 * @throws AlertsApiError with the server's message (422 for a bad filter) or a description of a bad answer.
 */
export async function fetchAlertList(filter: string, signal?: AbortSignal): Promise<AlertListResponse> {
  // No custom headers: the request must match the page's <link rel=preload> to reuse its response.
  const res = await fetch(alertListUrl(filter), { signal });
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const e = errorBodySchema.safeParse(body);
    throw e.success
      ? new AlertsApiError(e.data.error.message, res.status, e.data.error.hint)
      : new AlertsApiError(`The console answered HTTP ${res.status}`, res.status, "Reload the page; if it persists, check the console's server log");
  }
  const list = readAlertListResponse(body);
  if (!list) throw new AlertsApiError("The console sent an alert list this page cannot read", res.status, "Reload the page to pick up the current version");
  return list;
}

/** The live alert list for a filter, refreshed every 10 s; a bad filter is not retried. */
export function useAlertList(filter: string) {
  return useQuery({
    queryKey: alertKeys.list(filter),
    queryFn: ({ signal }) => fetchAlertList(filter, signal),
    refetchInterval: ALERTS_REFETCH_MS,
    retry: (count, err) => !(err instanceof AlertsApiError && err.status < 500) && count < 2,
  });
}
