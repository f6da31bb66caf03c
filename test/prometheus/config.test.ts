import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "@/lib/config";
import { resolvePrometheus } from "@/lib/prometheus/vitals";

function problems(env: Record<string, string>): string {
  try {
    parseConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  return "";
}

describe("Prometheus settings", () => {
  it("defaults: no Prometheus, 5 s per query, a 3 h window", () => {
    expect(parseConfig({}).prometheus).toEqual({ endpoints: [], fromGeneratorURL: true, timeoutMs: 5000, windowHours: 3, bearerToken: undefined, basicAuth: undefined });
  });

  it("parses one or more, each url or cluster=url, prefixes kept", () => {
    const c = parseConfig({
      PROMETHEUS_URL: "prod=http://prometheus.monitoring:9090/, http://thanos-query:10902, eu=https://mimir.example.com/prometheus",
      PROMETHEUS_TIMEOUT_MS: "8000",
      PROMETHEUS_BEARER_TOKEN: "tok",
      METRICS_WINDOW_HOURS: "6",
    }).prometheus;
    expect(c.endpoints).toEqual([
      { cluster: "prod", url: "http://prometheus.monitoring:9090" },
      { url: "http://thanos-query:10902" },
      { cluster: "eu", url: "https://mimir.example.com/prometheus" },
    ]);
    expect(c).toMatchObject({ timeoutMs: 8000, bearerToken: "tok", windowHours: 6 });
  });

  it("names each bad setting and how to fix it", () => {
    expect(problems({ PROMETHEUS_URL: "prod=not a url" })).toContain('PROMETHEUS_URL entry "prod=not a url" is not a URL: use url or cluster=url');
    expect(problems({ PROMETHEUS_URL: "ftp://x" })).toContain("must use http or https");
    expect(problems({ PROMETHEUS_URL: "http://user:pw@prom:9090" })).toContain("put credentials in PROMETHEUS_BEARER_TOKEN or PROMETHEUS_BASIC_AUTH");
    expect(problems({ PROMETHEUS_URL: "a=http://p:9090,a=http://q:9090" })).toContain('names cluster "a" twice');
    expect(problems({ PROMETHEUS_URL: "http://p:9090,http://q:9090" })).toContain("two entries without a cluster");
    expect(problems({ PROMETHEUS_BASIC_AUTH: "nopassword" })).toContain("PROMETHEUS_BASIC_AUTH must be user:password");
    expect(problems({ PROMETHEUS_BEARER_TOKEN: "t", PROMETHEUS_BASIC_AUTH: "u:p" })).toContain("keep the one your Prometheus gateway expects");
    expect(problems({ METRICS_WINDOW_HOURS: "0" })).toContain("METRICS_WINDOW_HOURS must be an integer from 1 to 48");
    expect(problems({ PROMETHEUS_TIMEOUT_MS: "fast" })).toContain("PROMETHEUS_TIMEOUT_MS must be an integer");
  });

  it("picks the alert's cluster, then the default, then the rule's own Prometheus when none is set", () => {
    const s = (env: Record<string, string>) => parseConfig(env).prometheus;
    const g = "http://prometheus-k8s.monitoring.svc:9090/graph?g0.expr=up";
    const both = s({ PROMETHEUS_URL: "prod=http://a:9090,http://b:9090" });
    expect(resolvePrometheus(both, "prod", g)).toEqual({ kind: "endpoint", url: "http://a:9090", origin: "config" });
    expect(resolvePrometheus(both, "dev", g)).toEqual({ kind: "endpoint", url: "http://b:9090", origin: "config" });
    expect(resolvePrometheus(both, undefined, undefined)).toEqual({ kind: "endpoint", url: "http://b:9090", origin: "config" });
    expect(resolvePrometheus(s({}), "prod", g)).toEqual({ kind: "endpoint", url: "http://prometheus-k8s.monitoring.svc:9090", origin: "generatorURL" });
    expect(resolvePrometheus(s({}), "prod", undefined)).toEqual({ kind: "none" });
    expect(resolvePrometheus(s({ PROMETHEUS_URL: "none" }), "prod", g)).toEqual({ kind: "none" });
    expect(resolvePrometheus(s({ PROMETHEUS_URL: "http://only:9090" }), undefined, g)).toEqual({ kind: "endpoint", url: "http://only:9090", origin: "config" });
    const named = s({ PROMETHEUS_URL: "prod=http://a:9090,eu=http://e:9090" });
    expect(resolvePrometheus(named, undefined, g)).toMatchObject({ kind: "error", message: expect.stringContaining("the alert has no cluster label and PROMETHEUS_URL names only clusters prod, eu") });
  });
});
