import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { errorStatus } from "@/lib/errors";
import { startConsole, type RunningConsole } from "@/e2e/harness";
import { NS, POD } from "@/test/analysis/gemini-fixture";
import { analysisBody, anyJson, text, webhookPayload } from "./arbitraries";
import { ensureProductionBuild } from "./production-build";

/**
 * Issue 12 item 6, against the production build's server (`next start`, as e2e/harness.ts runs it).
 * There Next holds several copies of each module: one per route bundle, and one for instrumentation,
 * which builds the shared services. An AppError the store or the filer throws is made by another copy of
 * the class than the route wrapper's, so recognising it by class identity answered 500 and logged an
 * "unhandled error". Here expected errors must answer with their own status, code and hint, and ~500
 * fuzzed requests over the API must never get a 500.
 */

const SEED = 20261206;
const TOKEN = "built-server-webhook-token-0123456789";
const errorBodySchema = z.object({
  error: z.object({ code: z.string().min(1), message: z.string().min(1), hint: z.string().min(1).optional() }),
});

let app: RunningConsole;
const statuses = new Map<string, number>();
// Ids the server handed out, so fuzzed requests also reach real analyses and jobs.
const analysisIds: string[] = [];
const jobIds: string[] = [];

beforeAll(async () => {
  await ensureProductionBuild();
  // Demo cluster and alerts, offline analysis (no Gemini), no GitHub: filing answers not_configured.
  app = await startConsole({ DEMO: "1", WEBHOOK_BEARER_TOKEN: TOKEN, RATE_LIMIT_PER_MINUTE: "10000" });
}, 600_000);
afterAll(async () => {
  await app?.stop();
});

interface Sent {
  method: string;
  path: string;
  status: number;
  raw: string;
  body: unknown;
}

/** Send one request; `route` names the route for the tally of answers. */
async function send(method: string, path: string, body?: string, { headers = {}, route = path }: { headers?: Record<string, string>; route?: string } = {}): Promise<Sent> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    // Same origin, as the console's own pages send mutating requests (proxy.ts checks it).
    headers: { ...(method === "GET" ? {} : { origin: app.url, "content-type": "application/json" }), ...headers },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const raw = await res.text();
  const key = `${method} ${route} ${res.status}`;
  statuses.set(key, (statuses.get(key) ?? 0) + 1);
  expect(res.headers.get("content-type"), `${method} ${path} -> ${res.status}: ${raw.slice(0, 300)}`).toMatch(/^application\/json/);
  return { method, path, status: res.status, raw, body: JSON.parse(raw) };
}

/** Never a 500; an error names a code from lib/errors whose status is the one answered. */
function checkAnswer(r: Sent): z.infer<typeof errorBodySchema>["error"] | undefined {
  const where = `${r.method} ${r.path.slice(0, 200)} -> ${r.status}: ${r.raw.slice(0, 400)}`;
  expect(r.status, where).not.toBe(500);
  if (r.status < 400) return undefined;
  const parsed = errorBodySchema.safeParse(r.body);
  expect(parsed.success, where).toBe(true);
  const error = parsed.data?.error;
  expect(new Map(Object.entries(errorStatus)).get(error?.code ?? ""), where).toBe(r.status);
  return error;
}

describe("expected errors from the built server answer as themselves", () => {
  it("retrying an unknown job is 404 not_found with its hint", async () => {
    const r = await send("POST", "/api/jobs/no-such-job/retry");
    const error = checkAnswer(r);
    expect(r.status, r.raw).toBe(404);
    expect(error?.code).toBe("not_found");
    expect(error?.message).toContain("no-such-job");
    expect(error?.hint, r.raw).toBeTruthy();
  });

  it("GET /api/analyses?since=yesterday is 422 unprocessable naming the field", async () => {
    const r = await send("GET", "/api/analyses?since=yesterday");
    const error = checkAnswer(r);
    expect(r.status, r.raw).toBe(422);
    expect(error?.code).toBe("unprocessable");
    expect(error?.message).toMatch(/since/);
    expect(error?.message).toMatch(/ISO 8601/);
  });

  it("filing a finished analysis without GitHub configured is 503 not_configured with the settings to set", async () => {
    const started = await send("POST", "/api/analyses", JSON.stringify({ target: { namespace: NS, pod: POD } }));
    expect(started.status, started.raw).toBe(202);
    const id = z.object({ id: z.string() }).parse(started.body).id;
    analysisIds.push(id);
    const deadline = Date.now() + 60_000;
    let status = "";
    while (Date.now() < deadline) {
      status = z.object({ status: z.string() }).parse((await send("GET", `/api/analyses/${id}`)).body).status;
      if (status === "done" || status === "failed") break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe("done");

    const r = await send("POST", `/api/analyses/${id}/issue`);
    const error = checkAnswer(r);
    expect(r.status, r.raw).toBe(503);
    expect(error?.code).toBe("not_configured");
    expect(error?.hint).toMatch(/GITHUB_TOKEN/);
    expect(error?.hint).toMatch(/GITHUB_REPOSITORY/);
  });
});

// Path ids: fuzzed text, UUID-like, or one the server handed out. "." and ".." would be resolved away by
// the URL parser and reach another route.
const segment = (pool: string[]) =>
  fc
    .oneof(
      { arbitrary: text(80).filter((s) => s.length > 0 && s !== "." && s !== ".." && s.isWellFormed()), weight: 3 },
      { arbitrary: fc.uuid(), weight: 1 },
      { arbitrary: fc.nat().map((n) => pool[n % Math.max(1, pool.length)] ?? "none"), weight: 3 },
    )
    .map(encodeURIComponent);
const queryValue = fc.oneof(
  fc.constantFrom("yesterday", "2026-01-31T10:00:00Z", "0", "-1", "501", "1e3", "", "now", "2026-13-45", "null", "done", "running", "Zm9v"),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  text(80).filter((s) => s.isWellFormed()),
);
const query = (keys: string[]) =>
  fc
    .dictionary(fc.oneof({ arbitrary: fc.constantFrom(...keys), weight: 5 }, { arbitrary: text(10).filter((s) => s.isWellFormed()), weight: 1 }), queryValue, { maxKeys: 4 })
    .map((q) => new URLSearchParams(q).toString());

interface FuzzRequest {
  method: string;
  route: string;
  path: string;
  body?: string;
}
const request: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc.oneof(anyJson, webhookPayload, webhookPayload).map((body) => ({ method: "POST", route: "/api/webhooks/alertmanager", path: "/api/webhooks/alertmanager", body })),
  fc.oneof(anyJson, analysisBody, analysisBody).map((body) => ({ method: "POST", route: "/api/analyses", path: "/api/analyses", body })),
  query(["since", "until", "limit", "cursor", "fingerprint", "alertname", "namespace"]).map((q) => ({ method: "GET", route: "/api/analyses", path: `/api/analyses?${q}` })),
  segment(analysisIds).map((id) => ({ method: "GET", route: "/api/analyses/[id]", path: `/api/analyses/${id}` })),
  segment(analysisIds).map((id) => ({ method: "GET", route: "/api/analyses/[id]/issue", path: `/api/analyses/${id}/issue` })),
  segment(analysisIds).map((id) => ({ method: "POST", route: "/api/analyses/[id]/issue", path: `/api/analyses/${id}/issue` })),
  segment(jobIds).map((id) => ({ method: "POST", route: "/api/jobs/[id]/retry", path: `/api/jobs/${id}/retry` })),
  fc.constant({ method: "GET", route: "/api/jobs", path: "/api/jobs" }),
);

const HINTED = new Set(["POST /api/jobs/[id]/retry 404", "POST /api/analyses/[id]/issue 503"]);

describe("fuzzing the built server's API", () => {
  it("answers ~500 malformed, near-valid and unknown-id requests without a 500, each error with its code", async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ method, route, path, body }) => {
        const headers: Record<string, string> = route.startsWith("/api/webhooks/") ? { authorization: `Bearer ${TOKEN}` } : {};
        const r = await send(method, path, body, { headers, route });
        const error = checkAnswer(r);
        // These errors define a hint; it must reach the client with them.
        if (HINTED.has(`${method} ${route} ${r.status}`)) expect(error?.hint, r.raw).toBeTruthy();
        if (r.status === 202 && route === "/api/analyses") analysisIds.push(z.object({ id: z.string() }).parse(r.body).id);
        if (route === "/api/jobs") {
          const jobs = z.object({ failed: z.array(z.object({ id: z.string() })), running: z.array(z.object({ id: z.string() })) }).parse(r.body);
          jobIds.push(...[...jobs.failed, ...jobs.running].map((j) => j.id));
        }
      }),
      { numRuns: 500, seed: SEED },
    );
    const seen = [...statuses].map(([k, n]) => `${k}: ${n}`).join("\n");
    // The generators must reach the accepting paths and each kind of expected error, or this proves little.
    const reached = [
      "POST /api/webhooks/alertmanager 202",
      "POST /api/webhooks/alertmanager 422",
      "POST /api/analyses 202",
      "POST /api/analyses 404",
      "GET /api/analyses 200",
      "GET /api/analyses 422",
      "GET /api/analyses/[id] 200",
      "GET /api/analyses/[id] 404",
      "POST /api/analyses/[id]/issue 503",
      "POST /api/jobs/[id]/retry 404",
    ];
    for (const key of reached) expect(statuses.get(key) ?? 0, `${key} in\n${seen}`).toBeGreaterThan(0);
  }, 120_000);

  it("logged no unhandled error", () => {
    const unhandled = app
      .output()
      .split("\n")
      .filter((line) => line.includes("unhandled error"));
    expect(unhandled.map((line) => line.slice(0, 400))).toEqual([]);
  });
});
