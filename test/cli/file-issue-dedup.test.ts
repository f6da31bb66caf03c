import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { main } from "@/cli/main";
import { POST as startAnalysis } from "@/app/api/analyses/route";
import { GET as getOne } from "@/app/api/analyses/[id]/route";
import { POST as fileIssue } from "@/app/api/analyses/[id]/issue/route";
import { snapshotFromTarget, targetFingerprint } from "@/lib/alerts/snapshot";
import { hasFingerprintMarker } from "@/lib/github/issue";
import { analysisSchema } from "@/lib/store";
import { NS, POD, REPO, startTestConsole, type TestConsole } from "@/test/helpers/console";

/**
 * One incident, one issue: a bare pod filed from the CLI (`triage analyze --file-issue`) and then from the
 * console (a deep link's analysis, filed with the button) lands on the same GitHub issue, because both
 * name the pod by the one target fingerprint (lib/alerts/snapshot.ts).
 */

let tc: TestConsole;

beforeAll(async () => {
  tc = await startTestConsole();
});
afterAll(async () => {
  await tc?.stop();
});

async function cli(argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), stdin: async () => "" });
  return { code, out, err };
}

describe("a bare pod filed from the CLI and from the console", () => {
  it("files one issue and then comments on it", async () => {
    const filedByCli = await cli(["analyze", "--namespace", NS, "--pod", POD, "--offline", "--file-issue", "--json"]);
    expect(filedByCli.err).toMatch(/^Filed https:\/\/github\.com\/acme\/incidents\/issues\/\d+\n$/);
    expect(filedByCli.code).toBe(0);
    expect(tc.github.issues(REPO)).toHaveLength(1);

    const started = await tc.callJson(startAnalysis, { url: "/api/analyses", body: { target: { namespace: NS, pod: POD }, trigger: "deeplink" } });
    expect(started.status).toBe(202);
    const { id } = z.object({ id: z.string() }).parse(started.body);
    const done = await tc.waitFor(async () => {
      const { body } = await tc.callJson(getOne, { url: `/api/analyses/${id}`, params: { id } });
      const a = analysisSchema.parse(body);
      return a.status === "done" || a.status === "failed" ? a : undefined;
    }, "the console's analysis");
    expect(done.status).toBe("done");

    const filed = await tc.callJson(fileIssue, { method: "POST", url: `/api/analyses/${id}/issue`, params: { id } });
    expect(filed.status).toBeLessThan(300);
    expect(z.object({ action: z.string() }).parse(filed.body).action).toBe("commented");

    const issues = tc.github.issues(REPO);
    expect(issues).toHaveLength(1);
    const fingerprint = targetFingerprint({ namespace: NS, pod: POD });
    expect(done.fingerprint).toBe(fingerprint);
    expect(hasFingerprintMarker(issues[0]?.body ?? "", fingerprint)).toBe(true);
    expect(tc.github.comments(REPO, issues[0]?.number ?? -1)).toHaveLength(1);
  });

  it("builds the same snapshot for a target with or without an alert name and container", () => {
    const bare = snapshotFromTarget({ namespace: NS, pod: POD });
    const named = snapshotFromTarget({ namespace: NS, pod: POD, alertname: "ModelPodOOMKilled", container: "vllm", severity: "critical" });
    expect(bare.fingerprint).toBe(named.fingerprint);
    expect(named.labels).toEqual({ alertname: "ModelPodOOMKilled", severity: "critical", namespace: NS, pod: POD, container: "vllm" });
    expect(snapshotFromTarget({ cluster: "eu-1", namespace: NS, pod: POD }).fingerprint).not.toBe(bare.fingerprint);
  });
});
