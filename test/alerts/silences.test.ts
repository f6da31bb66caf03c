import { randomUUID } from "node:crypto";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { proxy } from "@/proxy";
import { GET as listAlerts } from "@/app/api/alerts/route";
import { GET as listSilences, POST as createSilence } from "@/app/api/silences/route";
import { DELETE as expireSilence } from "@/app/api/silences/[id]/route";
import { alertListResponseSchema } from "@/lib/alerts/api";
import { createSilenceResponseSchema, prefillMatchers, silenceListResponseSchema } from "@/lib/alerts/silence-api";
import { SESSION_COOKIE } from "@/lib/auth/authenticate";
import { signSession } from "@/lib/auth/crypto";
import { startAlertmanager, startAlertmanagerPair, type RunningAlertmanager } from "@/test/helpers/alertmanager";
import { stampPeer, startTestConsole, type TestConsole } from "@/test/helpers/console";

/**
 * Silences and acknowledgements through the console's routes, against the real Alertmanager binary: one
 * alone, an HA pair gossiping on loopback, and two that are not clustered.
 */

const BERT0 = { alertname: "ModelPodOOMKilled", namespace: "ml-serving", pod: "bert-0", severity: "critical" };
const BERT1 = { alertname: "ModelPodOOMKilled", namespace: "ml-serving", pod: "bert-1", severity: "critical" };
const ETL = { alertname: "ModelHighCPUUsage", namespace: "ml-batch", pod: "etl-1", severity: "warning" };
const ACK_MINUTES = 20;

const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional(), details: z.record(z.string(), z.unknown()).optional() }) });
const wireSilences = z.array(z.object({ id: z.string(), createdBy: z.string(), comment: z.string(), status: z.object({ state: z.string() }) }));

let am: RunningAlertmanager;
let tc: TestConsole;

async function amSilences(target: RunningAlertmanager) {
  const res = await fetch(`${target.url}/api/v2/silences`);
  return wireSilences.parse(await res.json());
}

async function alerts(call: TestConsole = tc) {
  const r = await call.callJson(listAlerts, { url: "/api/alerts" });
  expect(r.status).toBe(200);
  return alertListResponseSchema.parse(r.body);
}

function byPod(list: z.infer<typeof alertListResponseSchema>, pod: string) {
  const a = list.alerts.find((x) => x.labels.pod === pod);
  if (!a) throw new Error(`no alert for pod ${pod}`);
  return a;
}

beforeAll(async () => {
  am = await startAlertmanager();
  await am.postAlerts([{ labels: BERT0 }, { labels: BERT1 }, { labels: ETL }]);
  await am.waitForAlerts(3);
  tc = await startTestConsole({ ALERTMANAGER_URL: `prod=${am.url}`, ACK_DURATION_MINUTES: String(ACK_MINUTES) });
});

afterAll(async () => {
  await tc?.stop();
  await am?.stop();
});

describe("silencing from the console", () => {
  let silenceId = "";
  let ackId = "";

  it("creates a silence from an alert's prefilled matchers, and the next /api/alerts shows it silenced by the user", async () => {
    // Read the list first, so its cache holds the alert as active: the mutation must drop that answer.
    const before = byPod(await alerts(), "bert-0");
    expect(before.state).toBe("active");

    const matchers = prefillMatchers([before.labels]);
    expect(matchers[0]).toEqual({ name: "alertname", op: "=", value: "ModelPodOOMKilled" });
    const r = await tc.callJson(createSilence, {
      url: "/api/silences",
      user: "carol@example.com",
      body: { matchers, durationMinutes: 90, comment: "bert-0 is being redeployed", sources: before.sources },
    });
    expect(r.status).toBe(201);
    const created = createSilenceResponseSchema.parse(r.body);
    expect(created.created).toHaveLength(1);
    silenceId = created.created[0]?.id ?? "";
    expect(created.created[0]?.source).toBe("prod");
    expect(Date.parse(created.endsAt) - Date.now()).toBeGreaterThan(80 * 60_000);

    const after = await alerts();
    const bert0 = byPod(after, "bert-0");
    expect(bert0.state).toBe("suppressed");
    expect(bert0.silencedBy).toEqual([silenceId]);
    expect(after.silences?.[silenceId]).toEqual({ createdBy: "carol@example.com", endsAt: expect.any(String), comment: "bert-0 is being redeployed", ack: false });
    // Only bert-0: its own labels (pod included) were the matchers.
    expect(byPod(after, "bert-1").state).toBe("active");

    const onAm = (await amSilences(am)).find((s) => s.id === silenceId);
    expect(onAm).toMatchObject({ createdBy: "carol@example.com", comment: "bert-0 is being redeployed" });
  });

  it("acknowledges a whole group as a short ACK! silence, shown with who and until when", async () => {
    const list = await alerts();
    const group = list.alerts.filter((a) => a.labels.alertname === "ModelPodOOMKilled");
    const matchers = prefillMatchers(group.map((a) => a.labels));
    expect(matchers.map((m) => m.name)).toEqual(["alertname", "namespace", "severity"]);

    const r = await tc.callJson(createSilence, { url: "/api/silences", user: "alice", body: { ack: true, matchers } });
    expect(r.status).toBe(201);
    const created = createSilenceResponseSchema.parse(r.body);
    ackId = created.created[0]?.id ?? "";
    const minutes = (Date.parse(created.endsAt) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(ACK_MINUTES - 2);
    expect(minutes).toBeLessThanOrEqual(ACK_MINUTES);

    const after = await alerts();
    const bert1 = byPod(after, "bert-1");
    expect(bert1.state).toBe("suppressed");
    expect(bert1.silencedBy).toEqual([ackId]);
    expect(after.silences?.[ackId]).toMatchObject({ createdBy: "alice", ack: true });
    expect(after.silences?.[ackId]?.comment).toMatch(/^ACK! /);
    expect(Math.abs(Date.parse(after.silences?.[ackId]?.endsAt ?? "") - Date.parse(created.endsAt))).toBeLessThan(1000);
    expect(byPod(after, "etl-1").state).toBe("active");

    const page = silenceListResponseSchema.parse((await tc.callJson(listSilences, { url: "/api/silences" })).body);
    expect(page.alertmanagers).toEqual(["prod"]);
    expect(page.silences.find((s) => s.id === ackId)).toMatchObject({ ack: true, createdBy: "alice", state: "active", sources: ["prod"] });
  });

  it("expires a silence, and the next /api/alerts no longer shows the alert silenced", async () => {
    const r = await tc.callJson(expireSilence, { method: "DELETE", url: `/api/silences/${ackId}?source=prod`, params: { id: ackId }, user: "alice" });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: ackId, expired: ["prod"] });

    const after = await alerts();
    expect(byPod(after, "bert-1").state).toBe("active");
    expect(byPod(after, "bert-1").silencedBy).toEqual([]);
    expect((await amSilences(am)).find((s) => s.id === ackId)?.status.state).toBe("expired");
    const page = silenceListResponseSchema.parse((await tc.callJson(listSilences, { url: "/api/silences" })).body);
    expect(page.silences.map((s) => s.id)).toEqual([silenceId]);
  });

  it("records who created, acknowledged and expired silences in the audit log", async () => {
    const s = await tc.services();
    const entries = (await s.store.listAudit({})).filter((e) => e.action.startsWith("silence."));
    expect(entries.map((e) => [e.actor, e.action, e.target])).toEqual(
      expect.arrayContaining([
        ["carol@example.com", "silence.created", silenceId],
        ["alice", "silence.acknowledged", ackId],
        ["alice", "silence.expired", ackId],
      ]),
    );
    expect(entries.find((e) => e.action === "silence.created")?.details).toMatchObject({ source: "prod", matchers: expect.stringContaining('pod="bert-0"') });
  });

  it("answers 404 for a silence no Alertmanager has, and 422 for an id that is not one", async () => {
    const unknown = randomUUID();
    const r = await tc.callJson(expireSilence, { method: "DELETE", url: `/api/silences/${unknown}`, params: { id: unknown } });
    expect(r.status).toBe(404);
    const bad = await tc.callJson(expireSilence, { method: "DELETE", url: "/api/silences/nope", params: { id: "nope" } });
    expect(bad.status).toBe(422);
  });
});

describe("validation names the field in words", () => {
  const cases: { body: Record<string, unknown>; field: string; message: RegExp }[] = [
    { body: { matchers: [], durationMinutes: 60, comment: "x" }, field: "matchers", message: /^Matchers are missing/ },
    { body: { durationMinutes: 60, comment: "x" }, field: "matchers", message: /^Matchers are missing/ },
    {
      body: { matchers: [{ name: "alertname", op: "=", value: "X" }, { name: "namespace", op: "=~", value: "ml-(" }], durationMinutes: 60, comment: "x" },
      field: "matchers.1.value",
      message: /^Matcher 2 \(namespace\): Invalid matcher "namespace=~"ml-\(""/,
    },
    { body: { matchers: [{ name: "pod-name", op: "=", value: "x" }], durationMinutes: 60, comment: "x" }, field: "matchers.0.name", message: /^Matcher 1 \(pod-name\): the label name must start/ },
    { body: { matchers: [{ name: "pod", op: "==", value: "x" }], durationMinutes: 60, comment: "x" }, field: "matchers.0.op", message: /operator must be one of/ },
    { body: { matchers: [{ name: "pod", op: "=~", value: ".*" }], durationMinutes: 60, comment: "x" }, field: "matchers", message: /would silence every alert/ },
    { body: { matchers: [{ name: "pod", op: "=", value: "x" }], durationMinutes: 0, comment: "x" }, field: "durationMinutes", message: /^Duration must be a whole number of minutes/ },
    { body: { matchers: [{ name: "pod", op: "=", value: "x" }], comment: "x" }, field: "durationMinutes", message: /^Duration is missing/ },
    { body: { matchers: [{ name: "pod", op: "=", value: "x" }], durationMinutes: 10, comment: "  " }, field: "comment", message: /^Comment is missing/ },
  ];

  it("answers 422 with the field named, and creates nothing", async () => {
    const before = (await amSilences(am)).length;
    for (const c of cases) {
      const r = await tc.callJson(createSilence, { url: "/api/silences", body: c.body });
      expect({ status: r.status, body: c.body }).toEqual({ status: 422, body: c.body });
      const e = errorSchema.parse(r.body).error;
      expect(e.message).toMatch(c.message);
      expect(e.details?.field).toBe(c.field);
    }
    expect((await amSilences(am)).length).toBe(before);
  });
});

describe("the gate: auth and CSRF like Analyze", () => {
  const AUTH_TOKEN = "silence-test-secret-0123456789abcdef";
  const ORIGIN = "http://127.0.0.1:3000";

  async function gate(method: string, path: string, headers: Record<string, string>) {
    const req = new NextRequest(`${ORIGIN}${path}`, { method, headers: { host: "127.0.0.1:3000", ...(await stampPeer("127.0.0.1")), ...headers } });
    const res = await proxy(req);
    if (res.headers.get("x-middleware-next") !== "1") return { res, next: undefined };
    const names = (res.headers.get("x-middleware-override-headers") ?? "").split(",").filter(Boolean);
    const forwarded = new Headers();
    for (const n of names) forwarded.set(n, res.headers.get(`x-middleware-request-${n}`) ?? "");
    return { res, next: new NextRequest(req.url, { method, headers: forwarded, body: method === "GET" ? undefined : JSON.stringify({}) }) };
  }

  it("refuses a mutation without sign-in (401) and a cross-origin one (403), and lets the console's own page through", async () => {
    await tc.restart({ AUTH_MODE: "token", AUTH_TOKEN });
    try {
      const cookie = `${SESSION_COOKIE}=${await signSession(AUTH_TOKEN, { sub: "dave", exp: Math.floor(Date.now() / 1000) + 3600, sid: randomUUID() })}`;
      const id = randomUUID();
      for (const [method, path] of [["POST", "/api/silences"], ["DELETE", `/api/silences/${id}`]] as const) {
        expect((await gate(method, path, { origin: ORIGIN })).res.status).toBe(401);
        const cross = await gate(method, path, { cookie, origin: "https://evil.example" });
        expect(cross.res.status).toBe(403);
        expect(cross.next).toBeUndefined();
        const same = await gate(method, path, { cookie, origin: ORIGIN });
        expect(same.next?.headers.get("x-triage-user")).toBe("dave");
      }
      // The handler itself refuses a request that did not come through the gate.
      const direct = await tc.callJson(createSilence, { url: "/api/silences", user: false, body: { matchers: [{ name: "pod", op: "=", value: "x" }], durationMinutes: 5, comment: "x" } });
      expect(direct.status).toBe(401);
    } finally {
      await tc.restart({ AUTH_MODE: "none", AUTH_TOKEN: "" });
    }
  });
});

describe("HA pairs", () => {
  it("sends a silence once to a gossiping pair, and both list it (one id)", async () => {
    const [a, b] = await startAlertmanagerPair();
    try {
      // Prometheus sends every alert to both members of a pair.
      for (const m of [a, b]) await m.postAlerts([{ labels: BERT0 }]);
      await a.waitForAlerts(1);
      await b.waitForAlerts(1);
      await tc.restart({ ALERTMANAGER_URL: `a=${a.url},b=${b.url}` });
      const alert = byPod(await alerts(), "bert-0");
      expect(alert.sources).toEqual(["a", "b"]);

      const r = await tc.callJson(createSilence, { url: "/api/silences", body: { matchers: prefillMatchers([alert.labels]), durationMinutes: 30, comment: "pair", sources: alert.sources } });
      expect(r.status).toBe(201);
      const created = createSilenceResponseSchema.parse(r.body).created;
      expect(created).toEqual([{ id: expect.any(String), source: "a" }]);
      const id = created[0]?.id ?? "";
      // b has it by gossip, under the same id; a second post would have made a second silence on both.
      await tc.waitFor(async () => (await amSilences(b)).some((s) => s.id === id), "the silence to reach b by gossip", 20_000);
      expect((await amSilences(a)).map((s) => s.id)).toEqual([id]);
      expect((await amSilences(b)).map((s) => s.id)).toEqual([id]);
      await tc.waitFor(async () => byPod(await alerts(), "bert-0").state === "suppressed", "the merged alert to be suppressed", 20_000);
      const page = silenceListResponseSchema.parse((await tc.callJson(listSilences, { url: "/api/silences" })).body);
      expect(page.silences.map((s) => [s.id, s.sources])).toEqual([[id, ["a", "b"]]]);

      const del = await tc.callJson(expireSilence, { method: "DELETE", url: `/api/silences/${id}`, params: { id } });
      expect(del.body).toEqual({ id, expired: ["a"] });
      await tc.waitFor(async () => (await amSilences(b)).every((s) => s.status.state === "expired"), "the expiry to reach b", 20_000);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it("sends it to each of two Alertmanagers that are not clustered (they would not gossip it)", async () => {
    const other = await startAlertmanager();
    try {
      await other.postAlerts([{ labels: BERT0 }]);
      await other.waitForAlerts(1);
      await tc.restart({ ALERTMANAGER_URL: `prod=${am.url},other=${other.url}` });
      const r = await tc.callJson(createSilence, {
        url: "/api/silences",
        body: { matchers: [{ name: "pod", op: "=", value: "bert-0" }], durationMinutes: 30, comment: "both", sources: ["prod", "other"] },
      });
      expect(r.status).toBe(201);
      expect(createSilenceResponseSchema.parse(r.body).created.map((c) => c.source)).toEqual(["prod", "other"]);
      expect(byPod(await alerts(), "bert-0").state).toBe("suppressed");
      const unknown = await tc.callJson(createSilence, { url: "/api/silences", body: { matchers: [{ name: "pod", op: "=", value: "x" }], durationMinutes: 5, comment: "x", sources: ["nope"] } });
      expect(unknown.status).toBe(422);
      expect(errorSchema.parse(unknown.body).error.message).toBe('Alertmanager "nope" is not configured here.');
    } finally {
      await other.stop();
      await tc.restart({ ALERTMANAGER_URL: `prod=${am.url}` });
    }
  });
});
