import { describe, expect, it } from "vitest";
import { readAlertListResponse } from "@/lib/alerts/api";

const alert = (i: number) => ({
  fingerprint: `fp${i}`,
  labels: { alertname: "ModelPodOOMKilled", namespace: "ml", pod: `p-${i}` },
  annotations: {},
  state: "active",
  startsAt: "2026-11-25T10:00:00Z",
  silencedBy: [],
  inhibitedBy: [],
  receivers: [],
  source: "am",
  sources: ["am"],
});

describe("readAlertListResponse, the browser's check of /api/alerts", () => {
  const body = { alerts: Array.from({ length: 101 }, (_, i) => alert(i)), errors: [], demo: false, analyses: { fp1: { id: "a1", status: "done" } } };

  it("takes this version's body as it is", () => {
    expect(readAlertListResponse(body)).toEqual(body);
    expect(readAlertListResponse({ ...body, alerts: [] })?.alerts).toEqual([]);
  });

  it("refuses a body of another shape: the envelope, or the sampled first, middle and last alerts", () => {
    expect(readAlertListResponse(undefined)).toBeUndefined();
    expect(readAlertListResponse({ ...body, errors: undefined })).toBeUndefined();
    expect(readAlertListResponse({ ...body, analyses: { fp1: { status: 3 } } })).toBeUndefined();
    for (const i of [0, 50, 100]) {
      const alerts = body.alerts.map((a, k) => (k === i ? { ...a, fingerprint: undefined } : a));
      expect(readAlertListResponse({ ...body, alerts }), `alert ${i} broken`).toBeUndefined();
    }
  });
});
