import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { redactBundle, redactText } from "@/lib/analysis/redact";
import { evidenceBundleSchema } from "@/lib/cluster/bundle";
import { fake, negatives, positives } from "../fixtures/redact/corpus";

const marker = (kind: string) => `[REDACTED:${kind}]`;
const lineCount = (s: string) => s.split("\n").length;

describe("redactText corpus", () => {
  it("has at least 60 secret forms and 60 look-alikes", () => {
    expect(positives.length).toBeGreaterThanOrEqual(60);
    expect(negatives.length).toBeGreaterThanOrEqual(60);
  });

  it.each(positives.map((p) => [p.name, p] as const))("catches %s", (_name, p) => {
    const r = redactText(p.text);
    for (const [secret, kind] of p.secrets) {
      expect(r.text).not.toContain(secret);
      expect(r.kinds[kind], `kind ${kind} in ${JSON.stringify(r.kinds)}`).toBeGreaterThanOrEqual(1);
    }
    const expected = p.expected ?? p.secrets.reduce((t, [secret, kind]) => t.split(secret).join(marker(kind)), p.text);
    expect(r.text).toBe(expected);
    expect(lineCount(r.text)).toBe(lineCount(p.text));
    expect(r.count).toBe(Object.values(r.kinds).reduce((a, b) => a + b, 0));
  });

  it.each(negatives.map((n) => [n.name, n.text] as const))("leaves %s alone", (_name, text) => {
    const r = redactText(text);
    expect(r.text).toBe(text);
    expect(r.count).toBe(0);
  });

  it("redacts secrets embedded in a multi-line log without touching the other lines", () => {
    const lines = [...negatives.map((n) => n.text), ...positives.map((p) => p.text)];
    const log = lines.join("\n");
    const r = redactText(log);
    expect(lineCount(r.text)).toBe(lineCount(log));
    const out = r.text.split("\n");
    let at = 0;
    for (const n of negatives) {
      const count = lineCount(n.text);
      expect(out.slice(at, at + count).join("\n")).toBe(n.text);
      at += count;
    }
    for (const p of positives) for (const [secret] of p.secrets) expect(r.text).not.toContain(secret);
  });
});

const fragments = [
  "\n", "\r\n", " ", "=", ": ", '"', "'", "password", "token", "secret", "api_key", "Bearer ", "Basic ", "Authorization: ",
  "postgres://u:", "@db:5432/x", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA3Tz2mr7SZiAM",
  `ghp_${fake(36, 99)}`, `hf_${fake(34, 98)}`, "AKIAIOSFODNN7EXAMPLE", "4111111111111111", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc",
  "sk-", fake(48, 97), "[REDACTED:token]", "{", "}", ",", ";", "&", "?", "xoxb-", "--password ", "Cookie: a=", "\\n",
  "data:", "stringData:", "kind: Secret", "kind: ConfigMap", "type: Opaque", "  ", "- ", "  tls.key: ", "|", "#", "\\",
  '"data":{', '"kind":"Secret"', '\\"', '"auth":"', "dXNlcjpwYXNzd29yZA==", "2026-12-06T10:00:00Z INFO ", "redis-cli -a ",
  "mysql -p", "SG.", fake(22, 96), "aws secret ", fake(40, 95, "ABCDEFGHabcdefgh0123/+"), "SMTP_PASSWORD=", " words here",
];
const logish = fc.array(fc.oneof(fc.constantFrom(...fragments), fc.string({ maxLength: 12 })), { maxLength: 40 }).map((a) => a.join(""));

describe("redactText properties", () => {
  it("never changes the number of lines", () => {
    fc.assert(fc.property(fc.oneof(logish, fc.string({ unit: "binary", maxLength: 200 })), (s) => lineCount(redactText(s).text) === lineCount(s)), { numRuns: 400 });
  });

  it("is idempotent: redacting twice equals redacting once", () => {
    fc.assert(
      fc.property(logish, (s) => {
        const once = redactText(s).text;
        const twice = redactText(once);
        expect(twice.text).toBe(once);
      }),
      { numRuns: 400 },
    );
  });

  it("is idempotent on the whole corpus", () => {
    for (const p of positives) {
      const once = redactText(p.text);
      const twice = redactText(once.text);
      expect(twice.text).toBe(once.text);
      expect(twice.count).toBe(0);
    }
  });
});

describe("redactText cost", () => {
  // Inputs built to make each mechanism work hardest. Each takes well under a second on a loaded 2-core machine;
  // the bound is only there to catch super-linear work (rebuilding a line per match took minutes on these).
  const size = 512 * 1024;
  const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length));
  const cases: Array<[string, string]> = [
    ["one compact Secret json line with many data objects", `{"kind":"Secret",${fill('"data":{"a":"b","c":"')}}`],
    ["escaped json openers", `{\\"kind\\":\\"Secret\\",${fill('\\\\\\\\"data\\\\\\\\":{')}`],
    ["many small Secret manifests", fill("data:\n  k: v\nkind: Secret\n")],
    ["nested data: openers", Array.from({ length: 2000 }, (_, i) => `${" ".repeat(i % 500)}data:`).join("\n")],
    ["prefixed PEM begin lines", fill("2026-12-06T10:00:00Z INFO -----BEGIN RSA PRIVATE KEY-----\n2026-12-06T10:00:00Z INFO MIIEpAIBAAKCAQEA3Tz2\n")],
    ["aws and secret beside 40-character tokens", fill(`aws secret ${"Ab1/".repeat(10)} `)],
    ["database clients with many words", fill(`redis-cli ${"-a x ".repeat(70)}\n`)],
    ["secret values with many words", fill(`password=a${" bb".repeat(40)}=\n`)],
    ["SendGrid-like runs", fill(`SG.a.${"b".repeat(300)}\n`)],
  ];
  it.each(cases)("stays linear on %s", (_name, text) => {
    const t0 = performance.now();
    const r = redactText(text);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(lineCount(r.text)).toBe(lineCount(text));
  });
});

describe("redactBundle", () => {
  const hf = `hf_${fake(34, 7)}`;
  const lastApplied = JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "llama-0", namespace: "ml" },
    spec: { containers: [{ name: "vllm", env: [{ name: "HUGGING_FACE_HUB_TOKEN", value: "plainvalue123" }, { name: "PORT", value: "8000" }] }] },
  }) + "\n";
  const raw = evidenceBundleSchema.parse({
    alert: {
      labels: { alertname: "KubePodCrashLooping", namespace: "ml", pod: "llama-0" },
      annotations: { description: `webhook https://hooks.slack.com/services/T0AAAA1111/B0BBBB2222/${fake(24, 3)}` },
    },
    pod: {
      kind: "Pod",
      metadata: { name: "llama-0", annotations: { "kubectl.kubernetes.io/last-applied-configuration": lastApplied } },
      spec: {
        containers: [
          {
            name: "vllm",
            args: ["--model", "meta-llama/Llama-3.1-8B-Instruct", "--api-key", "sEcReT-arg-9"],
            env: [
              { name: "DB_PASSWORD", value: "plain" },
              { name: "HF_TOKEN", value: hf },
              { name: "LOG_LEVEL", value: "debug" },
              { name: "MODEL_ID", value: "meta-llama/Llama-3.1-8B-Instruct" },
              { name: "API_TOKEN", valueFrom: { secretKeyRef: { name: "hf-token", key: "token" } } },
            ],
          },
        ],
      },
    },
    events: [{ reason: "Failed", message: "Failed to pull image: unauthorized, Authorization: Basic dXNlcjpwYXNzd29yZA==", count: 3 }],
    logs: "line 1\nDATABASE_URL=postgres://app:Pa55w0rd@db:5432/app\nline 3",
    previousLogs: `export HF_TOKEN=${hf}`,
  });
  const input = structuredClone(raw);
  const { bundle, count, kinds } = redactBundle(raw);
  const json = JSON.stringify(bundle);

  it("removes every secret from every part and marks the bundle", () => {
    for (const secret of ["plainvalue123", "plain\"", hf, "sEcReT-arg-9", "dXNlcjpwYXNzd29yZA==", "Pa55w0rd", "B0BBBB2222/"]) {
      expect(json).not.toContain(secret);
    }
    expect(bundle.redacted).toBe(true);
    expect(count).toBeGreaterThanOrEqual(8);
    expect(kinds["password"]).toBeGreaterThanOrEqual(1);
    expect(kinds["slack-webhook"]).toBe(1);
  });

  it("keeps non-secret values, references and line counts", () => {
    expect(json).toContain('"LOG_LEVEL","value":"debug"');
    expect(json).toContain("meta-llama/Llama-3.1-8B-Instruct");
    expect(json).toContain('"secretKeyRef":{"name":"hf-token","key":"token"}');
    expect(bundle.logs?.split("\n")).toHaveLength(3);
    expect(bundle.logs).toContain("postgres://app:[REDACTED:dsn-password]@db:5432/app");
    expect(bundle.alert.labels).toEqual(raw.alert.labels);
  });

  it("redacts secret env values by name and keeps last-applied-configuration valid JSON", () => {
    const containers = JSON.stringify(bundle.pod);
    expect(containers).toContain('"DB_PASSWORD","value":"[REDACTED:password]"');
    const annotations = bundle.pod?.metadata;
    const la = JSON.parse(JSON.stringify(annotations))["annotations"]["kubectl.kubernetes.io/last-applied-configuration"];
    expect(typeof la).toBe("string");
    const parsed = JSON.parse(la);
    expect(parsed.spec.containers[0].env[0].value).toBe("[REDACTED:token]");
    expect(parsed.spec.containers[0].env[1].value).toBe("8000");
  });

  it("does not mutate its input", () => {
    expect(raw).toEqual(input);
  });
});
