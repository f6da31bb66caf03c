import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "@/cli/main";
import { resetConfigForTests } from "@/lib/config";
import { startFakeGitHub, type FakeGitHub } from "@/test/fakes/github-server";
import { startFakeKube, type FakeKube } from "@/test/fakes/kube-server";
import { NS, POD, replaceEnv, seededCluster } from "@/test/helpers/console";

/**
 * `triage analyze` and `triage bundle` against a cluster that cannot be read at all (401, unreachable, no
 * kubeconfig): exit 1 with one line naming the cause, no report on stdout, no issue filed.
 */

const REPO = "acme/incidents";
const saved = { ...process.env };
let kube: FakeKube;
let closedKubeconfig = "";
let github: FakeGitHub;
let home = "";

beforeAll(async () => {
  [kube, github] = await Promise.all([startFakeKube({ state: seededCluster() }), startFakeGitHub({ repos: [REPO] })]);
  // A kubeconfig for an API server that has gone away: its port refuses connections.
  const gone = await startFakeKube({ state: seededCluster() });
  closedKubeconfig = gone.writeKubeconfig();
  await gone.close();
  home = mkdtempSync(join(tmpdir(), "triage-home-"));
});
afterAll(async () => {
  replaceEnv(saved);
  resetConfigForTests();
  await Promise.all([kube?.close(), github?.close()]);
  rmSync(home, { recursive: true, force: true });
});

function useEnv(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(saved).filter(([k]) => !/^(GEMINI_|GITHUB_|KUBECONFIG|CLUSTER_CONTEXTS|DEMO|LOG_BUDGET|HOME$)/.test(k)));
  replaceEnv({ ...clean, HOME: home, GITHUB_TOKEN: "test-token", GITHUB_REPOSITORY: REPO, GITHUB_API_URL: github.url, KUBE_TIMEOUT_MS: "5000", ...env });
  resetConfigForTests();
}

async function run(argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), stdin: async () => "" });
  return { code, out, err };
}

const cases: Array<[string, () => Record<string, string>, RegExp]> = [
  ["the API server answers 401", () => ({ KUBECONFIG: kube.writeKubeconfig([{ name: "stale", token: "expired-token" }]) }), /rejected the credentials/],
  ["the API server is unreachable", () => ({ KUBECONFIG: closedKubeconfig }), /cannot reach the Kubernetes API at http:\/\/127\.0\.0\.1:\d+/],
  ["there is no kubeconfig", () => ({}), /no kubeconfig and no in-cluster service account/],
];

describe("a cluster that cannot be read at all", () => {
  for (const [name, env, cause] of cases) {
    it(`analyze --file-issue exits 1 with one line when ${name}, and files nothing`, async () => {
      useEnv(env());
      const before = github.requests.length;
      const r = await run(["analyze", "--namespace", NS, "--pod", POD, "--offline", "--file-issue"]);
      expect(r.code).toBe(1);
      expect(r.out).toBe("");
      expect(r.err).toMatch(/^triage analyze: cannot read the cluster: /);
      expect(r.err).toMatch(cause);
      expect(r.err.trimEnd().split("\n")).toHaveLength(1);
      expect(github.requests.length).toBe(before);
      expect(github.issues(REPO)).toHaveLength(0);
    });

    it(`bundle exits 1 with one line when ${name}`, async () => {
      useEnv(env());
      const r = await run(["bundle", "--namespace", NS, "--pod", POD]);
      expect(r.code).toBe(1);
      expect(r.out).toBe("");
      expect(r.err).toMatch(/^triage bundle: cannot read the cluster: /);
      expect(r.err).toMatch(cause);
      expect(r.err.trimEnd().split("\n")).toHaveLength(1);
    });
  }

  it("a readable cluster still gives a report (the same flags, the right token)", async () => {
    useEnv({ KUBECONFIG: kube.writeKubeconfig() });
    const r = await run(["analyze", "--namespace", NS, "--pod", POD, "--offline"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("## ");
  });
});
