import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { POST as webhook } from "@/app/api/webhooks/alertmanager/route";
import { GET as queue } from "@/app/api/jobs/route";
import { getMetrics } from "@/lib/metrics";
import { openStore, type Analysis } from "@/lib/store";
import { hasFingerprintMarker } from "@/lib/github/issue";
import { NS, POD, REPO, WEBHOOK_TOKEN, oomLabels, resetServices, startTestConsole, type TestConsole } from "@/test/helpers/console";

const BASIC = "alertmanager:pa55-w0rd:with-colon";
const outcomeSchema = z.object({
  status: z.literal("accepted"),
  queued: z.number(),
  duplicates: z.number(),
  resolved: z.number(),
  skipped: z.array(z.object({ fingerprint: z.string(), reason: z.string() })),
  rejected: z.number().default(0),
  rejections: z.array(z.object({ index: z.number(), fingerprint: z.string().optional(), reason: z.string() })).default([]),
});
const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }) });

interface AmAlert {
  status: "firing" | "resolved";
  labels: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  fingerprint: string;
  annotations?: Record<string, string>;
}

/** Alertmanager's webhook body, version 4, exactly as notify/webhook sends it (wire-facts §1.1). */
function amPayload(alerts: AmAlert[]): string {
  const common = alerts[0]?.labels ?? {};
  const body = {
    receiver: "triage\\.console",
    status: alerts.some((a) => a.status === "firing") ? "firing" : "resolved",
    alerts: alerts.map((a) => ({
      status: a.status,
      labels: a.labels,
      annotations: a.annotations ?? { summary: `${a.labels.namespace}/${a.labels.pod} needs attention` },
      startsAt: a.startsAt,
      endsAt: a.status === "firing" ? "0001-01-01T00:00:00Z" : (a.endsAt ?? new Date().toISOString()),
      generatorURL: "http://prometheus:9090/graph?g0.expr=up&g0.tab=1",
      fingerprint: a.fingerprint,
    })),
    notification_reason: "first notification",
    groupLabels: { alertname: common.alertname ?? "" },
    commonLabels: { alertname: common.alertname ?? "" },
    commonAnnotations: {},
    routeLabels: {},
    externalURL: "http://alertmanager:9093",
    version: "4",
    groupKey: `{}/{severity="critical"}:{alertname="${common.alertname ?? ""}"}`,
    truncatedAlerts: 0,
    aFieldFromANewerRelease: { tolerated: true },
  };
  return JSON.stringify(body) + "\n";
}

const bearer = { authorization: `Bearer ${WEBHOOK_TOKEN}` };

let tc: TestConsole;
beforeAll(async () => {
  tc = await startTestConsole({ WEBHOOK_BASIC_AUTH: BASIC });
});
afterAll(async () => {
  await tc?.stop();
});

function post(body: string, headers: Record<string, string> = bearer) {
  // The webhook authenticates itself; proxy.ts sets no user for it.
  return tc.callJson(webhook, { method: "POST", url: "/api/webhooks/alertmanager", body, headers: { "user-agent": "Alertmanager/0.25.0", ...headers }, user: false });
}

async function analysesOf(fingerprint: string): Promise<Analysis[]> {
  const s = await tc.services();
  const page = await s.store.listAnalyses({ fingerprint, limit: 100 });
  const full = await Promise.all(page.items.map((i) => s.store.getAnalysis(i.id)));
  return full.filter((a): a is Analysis => a !== undefined);
}

async function drain(): Promise<void> {
  const s = await tc.services();
  await s.worker.drain({ timeoutMs: 120_000 });
}

let seq = 0;
const fp = () => `${(0xabc000 + ++seq).toString(16)}d00dfeed0`.padEnd(16, "0");

describe("authentication and input checks", () => {
  const valid = () => amPayload([{ status: "firing", labels: oomLabels(), startsAt: "2026-11-20T09:58:03.157Z", fingerprint: fp() }]);

  it("answers 401 without credentials and with a wrong bearer token or password", async () => {
    const wrong: Record<string, string>[] = [{}, { authorization: "Bearer wrong-token" }, { authorization: `Basic ${Buffer.from("alertmanager:nope").toString("base64")}` }, { authorization: WEBHOOK_TOKEN }];
    for (const headers of wrong) {
      const r = await post(valid(), headers);
      expect(r.status).toBe(401);
      const err = errorSchema.parse(r.body).error;
      expect(err.code).toBe("unauthorized");
      expect(err.hint).toContain("WEBHOOK_BEARER_TOKEN");
    }
    // A forged user header does not get past the webhook's own check either.
    const forged = await tc.callJson(webhook, { method: "POST", url: "/api/webhooks/alertmanager", body: valid(), user: "admin" });
    expect(forged.status).toBe(401);
    expect((await (await tc.services()).store.jobCounts()).queued).toBe(0);
  });

  it("accepts basic auth as Alertmanager's http_config sends it", async () => {
    const r = await post(valid(), { authorization: `Basic ${Buffer.from(BASIC).toString("base64")}` });
    expect(r.status).toBe(202);
    expect(outcomeSchema.parse(r.body).queued).toBe(1);
    await drain();
  });

  it("answers 413 for a body over 1 MiB, declared or not", async () => {
    const big = amPayload([{ status: "firing", labels: oomLabels(), annotations: { description: "x".repeat(1024 * 1024) }, startsAt: "2026-11-20T09:58:03Z", fingerprint: fp() }]);
    const undeclared = await post(big);
    expect(undeclared.status).toBe(413);
    expect(errorSchema.parse(undeclared.body).error.code).toBe("payload_too_large");
    const declared = await post(big, { ...bearer, "content-length": String(Buffer.byteLength(big)) });
    expect(declared.status).toBe(413);
  });

  it("answers 400 for a body that is not JSON and 422 naming the wrong field", async () => {
    const notJson = await post('{"version":"4","alerts":[');
    expect(notJson.status).toBe(400);
    expect(errorSchema.parse(notJson.body).error.code).toBe("bad_request");

    // An envelope that is not a webhook is refused as a whole; a bad alert inside a valid one is not (see below).
    const noAlerts = await post(JSON.stringify({ version: "4", status: "firing" }));
    expect(noAlerts.status).toBe(422);
    expect(errorSchema.parse(noAlerts.body).error.message).toMatch(/^Alerts is missing/);
    const notAList = await post(JSON.stringify({ version: "4", status: "firing", alerts: { a: 1 } }));
    expect(notAList.status).toBe(422);
    expect(errorSchema.parse(notAList.body).error.message).toMatch(/^Alerts/);
    const wrongStatus = JSON.parse(valid());
    wrongStatus.status = "pending";
    const r = await post(JSON.stringify(wrongStatus));
    expect(r.status).toBe(422);
    expect(errorSchema.parse(r.body).error.message).toMatch(/^Status must be one of/);
  });
});

describe("per-alert handling", () => {
  it("queues one job for a payload delivered twice", async () => {
    const body = amPayload([{ status: "firing", labels: oomLabels({ alertname: "ModelPodFrequentRestarts", severity: "warning" }), startsAt: "2026-11-20T10:00:00.5Z", fingerprint: fp() }]);
    const s = await tc.services();
    const before = (await s.store.listJobs({ limit: 1000 })).length;
    const first = outcomeSchema.parse((await post(body)).body);
    const second = await post(body);
    expect(second.status).toBe(202);
    expect(first).toMatchObject({ queued: 1, duplicates: 0 });
    expect(outcomeSchema.parse(second.body)).toMatchObject({ queued: 0, duplicates: 1 });
    expect((await s.store.listJobs({ limit: 1000 })).length).toBe(before + 1);
    await drain();
  });

  it("handles a grouped payload per alert: one firing analyzed, one resolved marked", async () => {
    const firing = fp();
    const resolved = fp();
    const r = await post(
      amPayload([
        { status: "firing", labels: oomLabels({ alertname: "ModelHighMemoryUsage", severity: "warning" }), startsAt: "2026-11-20T10:01:00Z", fingerprint: firing },
        { status: "resolved", labels: oomLabels({ alertname: "ModelHighMemoryUsage", severity: "warning", pod: "other-0" }), startsAt: "2026-11-20T09:00:00Z", endsAt: "2026-11-20T10:00:00Z", fingerprint: resolved },
      ]),
    );
    expect(r.status).toBe(202);
    expect(outcomeSchema.parse(r.body)).toMatchObject({ queued: 1, resolved: 1, duplicates: 0 });
    await drain();
    expect((await analysesOf(firing)).map((a) => a.status)).toEqual(["done"]);
    expect(await analysesOf(resolved)).toEqual([]);
  });

  it("stores alerts whose label values exceed the store's columns, and refuses times it cannot read", async () => {
    const long = fp();
    const r = await post(amPayload([{ status: "firing", labels: oomLabels({ alertname: `ModelPodOOMKilled${"X".repeat(400)}`, severity: "w".repeat(100) }), startsAt: "2026-11-20T10:02:00Z", fingerprint: long }]));
    expect(r.status).toBe(202);
    expect(outcomeSchema.parse(r.body).queued).toBe(1);
    await drain();
    const [a] = await analysesOf(long);
    expect(a?.status).toBe("done");
    expect(a?.alertname?.length).toBe(256);
    expect(a?.alert?.labels.alertname?.length).toBe(417);

    const s = await tc.services();
    const jobsBefore = (await s.store.listJobs({ limit: 1000 })).length;
    for (const startsAt of ["yesterday", "2026-11-20 10:00", "12"]) {
      const bad = await post(amPayload([{ status: "resolved", labels: oomLabels(), startsAt, endsAt: startsAt, fingerprint: fp() }]));
      expect(bad.status).toBe(202);
      const o = outcomeSchema.parse(bad.body);
      expect(o.rejected).toBe(1);
      expect(o.rejections[0]?.reason).toContain("alerts.0.startsAt");
    }
    expect((await s.store.listJobs({ limit: 1000 })).length).toBe(jobsBefore);
  });

  it("stores the valid alerts of a group with one bad alert, and records the bad one with its reason", async () => {
    const good = fp();
    const bad = fp();
    const rejectedBefore = (await getMetrics().webhookAlertsRejected.get()).values.find((v) => v.labels.reason === "annotations:too_big")?.value ?? 0;
    const r = await post(
      amPayload([
        { status: "firing", labels: oomLabels({ alertname: "ModelHighMemoryUsage", severity: "warning" }), startsAt: "2026-11-20T10:03:00Z", fingerprint: good },
        {
          status: "firing",
          labels: oomLabels({ alertname: "ModelHighMemoryUsage", severity: "warning", pod: "other-1" }),
          annotations: { description: "d".repeat(17 * 1024) },
          startsAt: "2026-11-20T10:03:00Z",
          fingerprint: bad,
        },
      ]),
    );
    expect(r.status).toBe(202);
    const o = outcomeSchema.parse(r.body);
    expect(o).toMatchObject({ queued: 1, rejected: 1 });
    expect(o.rejections).toEqual([{ index: 1, fingerprint: bad, reason: expect.stringContaining("alerts.1.annotations.description") }]);
    expect(await analysesOf(good)).toHaveLength(1);
    expect(await analysesOf(bad)).toEqual([]);

    // Visible in the queue panel's data and in metrics.
    const panel = await tc.callJson(queue, { url: "/api/jobs" });
    const listed = z.object({ rejectedAlerts: z.object({ total: z.number(), recent: z.array(z.object({ fingerprint: z.string().optional(), labels: z.record(z.string(), z.string()), reason: z.string(), receiver: z.string().optional() }).loose()) }) }).parse(panel.body).rejectedAlerts;
    expect(listed.total).toBeGreaterThanOrEqual(1);
    expect(listed.recent[0]).toMatchObject({ fingerprint: bad, receiver: "triage\\.console", labels: { pod: "other-1", alertname: "ModelHighMemoryUsage" } });
    expect(listed.recent[0]?.reason).toContain("alerts.1.annotations.description");
    const rejectedAfter = (await getMetrics().webhookAlertsRejected.get()).values.find((v) => v.labels.reason === "annotations:too_big")?.value ?? 0;
    expect(rejectedAfter - rejectedBefore).toBe(1);
    await drain();
    expect((await analysesOf(good)).map((a) => a.status)).toEqual(["done"]);
  });

  it("bounds the answer's list of rejections but counts them all", async () => {
    const alerts = Array.from({ length: 60 }, () => ({ status: "firing" as const, labels: oomLabels(), startsAt: "not a time", fingerprint: fp() }));
    const r = await post(amPayload(alerts));
    expect(r.status).toBe(202);
    const o = outcomeSchema.parse(r.body);
    expect(o.rejected).toBe(60);
    expect(o.rejections.length).toBeLessThanOrEqual(20);
    expect(o.rejections[0]?.reason).toContain("alerts.0.startsAt");
  });

  it("skips alerts the policy does not analyze and says why", async () => {
    const noPod = fp();
    const r = await post(amPayload([{ status: "firing", labels: { alertname: "Watchdog", severity: "none" }, startsAt: "2026-11-20T10:00:00Z", fingerprint: noPod }]));
    expect(r.status).toBe(202);
    const o = outcomeSchema.parse(r.body);
    expect(o.queued).toBe(0);
    expect(o.skipped).toEqual([{ fingerprint: noPod, reason: expect.stringContaining("namespace and pod") }]);
  });
});

describe("a critical alert's life: analyzed, filed, re-fired, resolved", () => {
  const fingerprint = "c6eadffa33fcdf37";
  const firstEpisode = "2026-11-20T09:58:03.157Z";
  const secondEpisode = "2026-11-20T11:12:44.9Z";
  const title = `[PRODUCTION ALERT] ModelPodOOMKilled - ${POD}`;
  const issuesTitled = () => tc.github.issues(REPO).filter((i) => i.title === title && hasFingerprintMarker(i.body ?? "", fingerprint));

  it("analyzes a ModelPodOOMKilled critical alert and files the issue automatically", async () => {
    const r = await post(amPayload([{ status: "firing", labels: oomLabels(), startsAt: firstEpisode, fingerprint }]));
    expect(r.status).toBe(202);
    expect(outcomeSchema.parse(r.body).queued).toBe(1);
    await drain();
    const [a] = await analysesOf(fingerprint);
    expect(a?.status).toBe("done");
    expect(a?.trigger).toBe("webhook");
    expect(a?.report?.source).toBe("gemini");
    expect(issuesTitled()).toHaveLength(1);
    expect(a?.issueNumber).toBe(issuesTitled()[0]?.number);
    expect(a?.issueAction).toBe("created");
  });

  it("analyzes a warning but does not file it", async () => {
    const warn = fp();
    const pod = "reranker-api-69d8f7c5b4-tq6ws";
    await post(amPayload([{ status: "firing", labels: { alertname: "ModelHighCPUUsage", severity: "warning", namespace: NS, pod }, startsAt: "2026-11-20T10:30:00Z", fingerprint: warn }]));
    await drain();
    const [a] = await analysesOf(warn);
    expect(a?.status).toBe("done");
    expect(a?.issueNumber).toBeUndefined();
    expect(tc.github.issues(REPO).some((i) => i.title.includes(pod))).toBe(false);
  });

  it("does not file automatically for a pod that no longer exists, and says why", async () => {
    const gone = fp();
    const pod = "llm-chat-vllm-7d9f8b6c5d-gone0";
    await post(amPayload([{ status: "firing", labels: oomLabels({ pod }), startsAt: "2026-11-20T10:40:00Z", fingerprint: gone }]));
    await drain();
    const [a] = await analysesOf(gone);
    expect(a?.status).toBe("done");
    expect(a?.report?.source).toBe("gemini");
    expect(a?.report?.summary).toMatch(new RegExp(`^Pod ${NS}/${pod} no longer exists: it was not found when the evidence was gathered\\. `));
    expect(a?.report?.fileable).toBe(false);
    expect(a?.report?.notFileableReason).toContain(`${NS}/${pod}`);
    expect(a?.issueNumber).toBeUndefined();
    expect(tc.github.issues(REPO).some((i) => i.title.includes(pod))).toBe(false);
  });

  it("re-notification of the same episode does nothing; a new episode analyzes again and comments on the issue", async () => {
    const again = await post(amPayload([{ status: "firing", labels: oomLabels(), startsAt: firstEpisode, fingerprint }]));
    expect(outcomeSchema.parse(again.body)).toMatchObject({ queued: 0, duplicates: 1 });

    const r = await post(amPayload([{ status: "firing", labels: oomLabels(), startsAt: secondEpisode, fingerprint }]));
    expect(outcomeSchema.parse(r.body).queued).toBe(1);
    await drain();
    const all = await analysesOf(fingerprint);
    expect(all).toHaveLength(2);
    expect(all.every((a) => a.status === "done")).toBe(true);
    const issue = issuesTitled();
    expect(issue).toHaveLength(1);
    const latest = all.find((a) => a.episode?.startsWith("2026-11-20T11:12:44"));
    expect(latest?.issueAction).toBe("commented");
    expect(latest?.issueNumber).toBe(issue[0]?.number);
    expect(tc.github.comments(REPO, issue[0]?.number ?? -1)).toHaveLength(1);
  });

  it("a resolved notification marks the analyses resolved and comments the resolution time", async () => {
    const endsAt = "2026-11-20T11:40:03.5Z";
    const r = await post(amPayload([{ status: "resolved", labels: oomLabels(), startsAt: secondEpisode, endsAt, fingerprint }]));
    expect(outcomeSchema.parse(r.body)).toMatchObject({ resolved: 1, queued: 0 });
    await drain();
    const all = await analysesOf(fingerprint);
    expect(all.map((a) => a.resolvedAt)).toEqual([new Date(endsAt).toISOString(), new Date(endsAt).toISOString()]);
    const number = issuesTitled()[0]?.number ?? -1;
    const comments = tc.github.comments(REPO, number);
    expect(comments).toHaveLength(2);
    expect(comments[1]?.body).toContain(`resolved at ${new Date(endsAt).toISOString()}`);
    expect(issuesTitled()[0]?.state).toBe("open");

    // Alertmanager repeats resolved notifications: no second comment.
    await post(amPayload([{ status: "resolved", labels: oomLabels(), startsAt: secondEpisode, endsAt, fingerprint }]));
    await drain();
    expect(tc.github.comments(REPO, number)).toHaveLength(2);
  });
});

describe("storms and restarts", () => {
  it("survives a restart mid-run: every job finishes exactly once", async () => {
    const n = 12;
    const alerts = Array.from({ length: n }, (_, i) => ({
      status: "firing" as const,
      labels: { alertname: "ModelPodFrequentRestarts", severity: "warning", namespace: NS, pod: `storm-${i}` },
      startsAt: "2026-11-20T12:00:00Z",
      fingerprint: fp(),
    }));
    for (let i = 0; i < n; i++) tc.gemini.enqueue({ kind: "report", delayMs: 150 });
    const geminiBefore = tc.gemini.requests.length;
    const r = await post(amPayload(alerts));
    expect(outcomeSchema.parse(r.body).queued).toBe(n);

    const s = await tc.services();
    await tc.waitFor(async () => (await s.store.jobCounts()).done > 0 && (await s.store.jobCounts()).queued > 0, "some jobs done, some queued");
    // Stop the process's services as a deploy would; then leave one job "running" for a worker that died.
    await resetServices();
    const store = await openStore(tc.env.DATABASE_URL ?? "");
    const orphan = await store.claimNextJob("crashed-replica:1", undefined, { leaseMs: 1 });
    expect(orphan?.status).toBe("running");
    await store.close();

    const again = await tc.restart();
    await again.worker.drain({ timeoutMs: 120_000 });
    const counts = await again.store.jobCounts();
    expect(counts).toMatchObject({ queued: 0, running: 0, failed: 0 });
    for (const a of alerts) {
      const list = await analysesOf(a.fingerprint);
      expect(list.map((x) => x.status)).toEqual(["done"]);
    }
    // Exactly once: one Gemini call per alert, none repeated by the restart.
    const calls = tc.gemini.requests.slice(geminiBefore).map((q) => /^pod: (\S+)$/m.exec(q.userText)?.[1]);
    expect(calls.sort()).toEqual(alerts.map((a) => a.labels.pod).sort());
  });

  it("accepts a 1,000-alert payload with 202 and 1,000 queued jobs, analyzing nothing inline", async () => {
    const s = await tc.services();
    await s.worker.drain({ timeoutMs: 120_000 });
    // With the worker stopped, anything analyzed before the answer would have been analyzed inline.
    await s.worker.stop();
    const geminiBefore = tc.gemini.requests.length;
    const kubeBefore = tc.kube.requests.length;
    const before = await s.store.jobCounts();
    const alerts = Array.from({ length: 1000 }, (_, i) => ({
      status: "firing" as const,
      labels: { alertname: "ModelPodNotRunning", severity: "critical", namespace: "ml-batch", pod: `batch-scorer-${i}` },
      startsAt: "2026-11-20T13:00:00Z",
      fingerprint: `f${i.toString(16).padStart(15, "0")}`,
    }));
    const body = amPayload(alerts);
    expect(Buffer.byteLength(body)).toBeLessThan(1024 * 1024);
    const r = await post(body);
    expect(r.status).toBe(202);
    expect(outcomeSchema.parse(r.body)).toMatchObject({ queued: 1000, duplicates: 0, resolved: 0 });
    const after = await s.store.jobCounts();
    expect(after.queued - before.queued).toBe(1000);
    expect((await s.store.listAnalyses({ namespace: "ml-batch", status: "queued", limit: 500 })).items).toHaveLength(500);
    expect(tc.gemini.requests.length).toBe(geminiBefore);
    expect(tc.kube.requests.length).toBe(kubeBefore);
  });
});
