"use client";

import { useQuery } from "@tanstack/react-query";
import { alertKeys, alertListUrl, readAlertListResponse, type AlertListResponse } from "@/lib/alerts/api";
import { isApiError, request } from "@/lib/api-client";

export const ALERTS_REFETCH_MS = 10_000;

/**
 * Fetch the alert list for a filter (matcher syntax) from the console's API. No custom headers: the
 * request must match the page's <link rel=preload> to reuse its response.
 * @throws ApiError with the server's message (422 for a bad filter) or a description of a bad answer.
 */
export function fetchAlertList(filter: string, signal?: AbortSignal): Promise<AlertListResponse> {
  return request(alertListUrl(filter), readAlertListResponse, { signal });
}

/** The live alert list for a filter, refreshed every 10 s; a bad filter is not retried. */
export function useAlertList(filter: string) {
  return useQuery({
    queryKey: alertKeys.list(filter),
    queryFn: ({ signal }) => fetchAlertList(filter, signal),
    refetchInterval: ALERTS_REFETCH_MS,
    retry: (count, err) => !(isApiError(err) && err.status > 0 && err.status < 500) && count < 2,
  });
}
