import { describe, expect, it } from "vitest";
import { assertSafeToServe, ConfigError, parseConfig } from "@/lib/config";

function problems(env: Record<string, string>): string {
  try {
    parseConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  return "";
}

describe("config", () => {
  it("has working defaults", () => {
    const c = parseConfig({});
    expect(c.host).toBe("127.0.0.1");
    expect(c.port).toBe(3000);
    expect(c.gemini.model).toBe("gemini-3.8-flash");
    expect(c.databaseUrl).toBe("file:./data/triage.sqlite");
    expect(c.policy.fileSeverities).toEqual(["critical"]);
    expect(c.auth.mode).toBe("none");
  });

  it("parses several Alertmanagers, named or not", () => {
    const c = parseConfig({ ALERTMANAGER_URL: "prod=http://am-0:9093/, http://am-1:9093" });
    expect(c.alertmanagers).toEqual([
      { name: "prod", url: "http://am-0:9093" },
      { name: "am-1:9093", url: "http://am-1:9093" },
    ]);
  });

  it("parses CLUSTER_CONTEXTS", () => {
    expect(parseConfig({ CLUSTER_CONTEXTS: "prod=gke_acme_europe-west1_prod,dev=k3d-dev" }).kube.clusterContexts).toEqual({
      prod: "gke_acme_europe-west1_prod",
      dev: "k3d-dev",
    });
  });

  it("names every bad variable and how to fix it", () => {
    const msg = problems({ ALERTMANAGER_URL: "not a url", PORT: "99999", GITHUB_REPOSITORY: "nope", CLUSTER_CONTEXTS: "prod" });
    expect(msg).toContain("ALERTMANAGER_URL");
    expect(msg).toContain("PORT");
    expect(msg).toContain("GITHUB_REPOSITORY must be owner/repo");
    expect(msg).toContain("CLUSTER_CONTEXTS");
    expect(problems({ AUTH_MODE: "token", AUTH_TOKEN: "short" })).toContain("AUTH_TOKEN of at least 16 characters");
  });

  it("rejects proxy mode without trusted proxies", () => {
    expect(problems({ AUTH_MODE: "proxy" })).toContain("AUTH_TRUSTED_PROXIES");
  });

  it("refuses AUTH_MODE=none on a socket bound beyond loopback, whatever HOST says", () => {
    const bound = (addr: string, mode = "none") => () => assertSafeToServe(parseConfig({ AUTH_MODE: mode, AUTH_TOKEN: "0123456789abcdef0", TRIAGE_LISTEN_ADDRESS: addr }));
    for (const ok of ["127.0.0.1", "::1", "::ffff:127.0.0.1"]) expect(bound(ok)).not.toThrow();
    for (const bad of ["0.0.0.0", "::", "10.1.2.3"]) expect(bound(bad)).toThrow(/bound to .*AUTH_MODE is none/);
    expect(bound("0.0.0.0", "token")).not.toThrow();
    // Before the socket is bound only HOST can be checked.
    expect(() => assertSafeToServe(parseConfig({ HOST: "0.0.0.0" }))).toThrow(/HOST=0.0.0.0/);
  });
});
