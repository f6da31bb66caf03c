import fc from "fast-check";
import { NS, POD } from "@/test/analysis/gemini-fixture";

/**
 * Request bodies for fuzzing the endpoints that take untrusted JSON: anything at all, and near-valid
 * Alertmanager webhooks and analysis requests with wrong types, odd times, huge and unicode values.
 * Shared by the in-process fuzzing (endpoints.test.ts) and the one against the production build.
 */

export const text = (max: number) => fc.string({ unit: "binary", maxLength: max });
export const anyJson = fc.oneof(
  fc.json({ maxDepth: 6 }),
  fc.anything({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? "undefined"),
  fc.json({ maxDepth: 4 }).chain((s) => fc.nat({ max: Math.max(0, s.length - 1) }).map((n) => s.slice(0, n))),
  fc.integer({ min: 1, max: 5000 }).map((d) => "[".repeat(d) + "]".repeat(d)),
  fc.integer({ min: 1, max: 2000 }).map((d) => '{"alerts":'.repeat(d) + "null" + "}".repeat(d)),
  text(200),
  fc.constantFrom("", "null", "[]", "{}", '"string"', "1e999", "-0", "\uFEFF{}", '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"x":1}}}'),
);

const labelKey = fc.oneof(
  { arbitrary: fc.constantFrom("alertname", "namespace", "pod", "severity", "container", "cluster"), weight: 4 },
  { arbitrary: text(300), weight: 1 },
);
const labelValue = fc.oneof(
  { arbitrary: fc.constantFrom(NS, POD, "ModelPodOOMKilled", "critical", "warning", "vllm", "prod-eu", "web-1"), weight: 6 },
  { arbitrary: text(40), weight: 2 },
  { arbitrary: fc.string({ minLength: 250, maxLength: 17_000 }), weight: 1 },
  { arbitrary: fc.anything({ maxDepth: 1 }), weight: 1 },
);
const labels = fc.dictionary(labelKey, labelValue, { maxKeys: 8 });
// Most alerts point at a pod, so the accepting path (policy, jobs, store) sees the wild values too.
const alertLabels = fc
  .tuple(fc.boolean(), fc.constantFrom(POD, "web-1", "a"), labels)
  .map(([pointsAtPod, pod, extra]) => (pointsAtPod ? { ...extra, namespace: NS, pod } : extra));
const time = fc.oneof(
  { arbitrary: fc.date({ noInvalidDate: true, min: new Date("1970-01-01"), max: new Date("2100-01-01") }).map((d) => d.toISOString()), weight: 4 },
  { arbitrary: fc.constantFrom("0001-01-01T00:00:00Z", "2026-11-20T09:58:03.157123456Z", "2026-11-20T10:00:00+02:00"), weight: 2 },
  { arbitrary: text(70), weight: 2 },
  { arbitrary: fc.anything({ maxDepth: 1 }), weight: 1 },
);
const webhookAlert = fc.record(
  {
    status: fc.oneof({ arbitrary: fc.constantFrom("firing", "resolved"), weight: 8 }, { arbitrary: fc.anything({ maxDepth: 1 }), weight: 1 }),
    labels: alertLabels,
    annotations: labels,
    startsAt: time,
    endsAt: time,
    generatorURL: fc.oneof(fc.webUrl(), text(100)),
    fingerprint: fc.oneof({ arbitrary: fc.stringMatching(/^[0-9a-f]{16}$/), weight: 6 }, { arbitrary: text(140), weight: 1 }),
    extra: fc.anything({ maxDepth: 2 }),
  },
  { requiredKeys: ["status", "labels", "startsAt", "fingerprint"] },
);
export const webhookPayload = fc
  .record(
    {
      version: fc.oneof({ arbitrary: fc.constantFrom("4", "1"), weight: 8 }, { arbitrary: fc.anything({ maxDepth: 1 }), weight: 1 }),
      status: fc.oneof({ arbitrary: fc.constantFrom("firing", "resolved"), weight: 8 }, { arbitrary: text(10), weight: 1 }),
      receiver: text(50),
      alerts: fc.array(webhookAlert, { maxLength: 4 }),
      groupKey: text(100),
      truncatedAlerts: fc.oneof(fc.nat(), fc.integer(), fc.double()),
      groupLabels: labels,
    },
    { requiredKeys: ["version", "status", "alerts"] },
  )
  .map((p) => JSON.stringify(p));

const target = fc.record(
  {
    namespace: fc.oneof({ arbitrary: fc.constantFrom(NS, "default", "kube-system"), weight: 5 }, { arbitrary: text(300), weight: 1 }, { arbitrary: fc.anything({ maxDepth: 1 }), weight: 1 }),
    pod: fc.oneof({ arbitrary: fc.constantFrom(POD, "web-1", "a", "x.y-z"), weight: 5 }, { arbitrary: text(300), weight: 1 }),
    container: fc.oneof({ arbitrary: fc.constantFrom("vllm", "main"), weight: 5 }, { arbitrary: text(30), weight: 1 }),
    cluster: fc.oneof({ arbitrary: fc.constantFrom("prod-eu", "fake"), weight: 5 }, { arbitrary: text(300), weight: 1 }),
    alertname: fc.oneof({ arbitrary: fc.constantFrom("ModelPodOOMKilled"), weight: 3 }, { arbitrary: text(300), weight: 1 }),
  },
  { requiredKeys: ["namespace", "pod"] },
);
export const analysisBody = fc
  .record(
    {
      target,
      // Rare: a fingerprint takes precedence over the target and is mostly unknown (404).
      fingerprint: fc.option(fc.oneof(fc.stringMatching(/^[0-9a-f]{16}$/), text(200)), { freq: 6, nil: undefined }),
      force: fc.oneof({ arbitrary: fc.boolean(), weight: 5 }, { arbitrary: fc.anything({ maxDepth: 1 }), weight: 1 }),
      trigger: fc.oneof({ arbitrary: fc.constantFrom("manual", "deeplink"), weight: 5 }, { arbitrary: text(10), weight: 1 }),
    },
    { requiredKeys: ["target", "fingerprint"] },
  )
  .map((b) => JSON.stringify(b));
