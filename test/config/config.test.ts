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

  it("gives each Alertmanager its public URL: name=url, or one bare URL for the only one (the demo's too)", () => {
    const c = parseConfig({ ALERTMANAGER_URL: "prod=http://am-0:9093,backup=http://am-1:9093", ALERTMANAGER_PUBLIC_URL: "prod=https://am.example.com/am/, backup=https://am-b.example.com" });
    expect(c.alertmanagerPublicUrls).toEqual({ prod: "https://am.example.com/am", backup: "https://am-b.example.com" });
    expect(parseConfig({ ALERTMANAGER_URL: "http://alertmanager:9093", ALERTMANAGER_PUBLIC_URL: "https://am.example.com" }).alertmanagerPublicUrls).toEqual({ "alertmanager:9093": "https://am.example.com" });
    expect(parseConfig({ DEMO: "1", ALERTMANAGER_PUBLIC_URL: "http://localhost:9093" }).alertmanagerPublicUrls).toEqual({ demo: "http://localhost:9093" });
    // Unset: no link, and never the in-cluster URL in its place.
    expect(parseConfig({ ALERTMANAGER_URL: "http://alertmanager:9093" }).alertmanagerPublicUrls).toEqual({});
  });

  it("refuses a public URL it cannot place, naming the Alertmanagers it could belong to", () => {
    const two = { ALERTMANAGER_URL: "prod=http://am-0:9093,backup=http://am-1:9093" };
    expect(problems({ ...two, ALERTMANAGER_PUBLIC_URL: "https://am.example.com" })).toContain("has no name but there are 2 Alertmanagers: write name=url with one of prod, backup");
    expect(problems({ ...two, ALERTMANAGER_PUBLIC_URL: "staging=https://am.example.com" })).toContain('names "staging", which is not an Alertmanager of ALERTMANAGER_URL: use one of prod, backup');
    expect(problems({ ...two, ALERTMANAGER_PUBLIC_URL: "prod=https://a.example.com,prod=https://b.example.com" })).toContain('gives "prod" two URLs');
    expect(problems({ ALERTMANAGER_PUBLIC_URL: "https://am.example.com" })).toContain("ALERTMANAGER_URL is not");
    expect(problems({ ...two, ALERTMANAGER_PUBLIC_URL: "prod=ftp://am.example.com" })).toContain("must use http or https");
    expect(problems({ ...two, ALERTMANAGER_PUBLIC_URL: "prod=https://u:p@am.example.com/#/alerts" })).toContain("must be a plain base URL");
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
