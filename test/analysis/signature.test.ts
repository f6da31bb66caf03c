import { describe, expect, it } from "vitest";
import { evidenceBundleSchema, type EvidenceBundle } from "@/lib/cluster/bundle";
import { runAnalysis } from "@/lib/analysis/pipeline";
import { failureSignature, templateLine, workloadOf } from "@/lib/analysis/signature";
import { loadIncident } from "@/test/fixtures/incidents";

/** The offline pipeline on a bundle, and the signature it stores. */
async function signatureOf(bundle: EvidenceBundle) {
  const r = await runAnalysis({ alert: bundle.alert, bundle }, { budgetTokens: 4000 }, { offline: true });
  return { result: r, signature: r.signature };
}

/** The same bundle with every occurrence of each string replaced (another pod, another deployment). */
function rewrite(bundle: EvidenceBundle, pairs: Array<[string, string]>): EvidenceBundle {
  let text = JSON.stringify(bundle);
  for (const [from, to] of pairs) text = text.split(from).join(to);
  return evidenceBundleSchema.parse(JSON.parse(text));
}

const OOM_POD = "embedder-7c9d8f6b5-q2xkp";

/** A second replica of the embedder deployment, OOM-killed an hour later: other pod suffix, uid, node, times, pid. */
function secondReplica(): EvidenceBundle {
  return rewrite(loadIncident("oom-killed-embedder"), [
    [OOM_POD, "embedder-7c9d8f6b5-zt8mw"],
    ["bd711d0b-b569-8a1f-b76a-dbaaa712c495", "0f4c2e91-77aa-4c1e-9a55-3b1f2c9d8e10"],
    ["gke-ml-gpu-pool-7f3c2a1b-x9kq", "gke-ml-gpu-pool-7f3c2a1b-m2rd"],
    ["2026-11-20T09:", "2026-11-20T10:"],
  ]);
}

describe("failure signatures on fixture incidents", () => {
  it("the same OOM on two pods of one deployment has one signature and one workload", async () => {
    const a = await signatureOf(loadIncident("oom-killed-embedder"));
    const b = await signatureOf(secondReplica());
    expect(a.signature?.parts.category).toBe("oom_killed");
    expect(b.signature?.signature).toBe(a.signature?.signature);
    expect(b.signature?.workloadKey).toBe(a.signature?.workloadKey);
    // The workload is the deployment, never the pod or its hash suffix.
    expect(a.signature?.workloadKey).toBe("prod-eu/ml-serving/Deployment/embedder");
    expect(a.signature?.workloadKey).not.toMatch(/7c9d8f6b5|q2xkp/);
  });

  it("an OOM kill and an image-pull error do not match", async () => {
    const oom = await signatureOf(loadIncident("oom-killed-embedder"));
    const pull = await signatureOf(loadIncident("image-not-found"));
    expect(pull.signature?.parts.category).toBe("image_pull");
    expect(pull.signature?.signature).not.toBe(oom.signature?.signature);
  });

  it("an OOM kill and a GPU OOM (CUDA out of memory) do not match", async () => {
    const oom = await signatureOf(loadIncident("oom-killed-embedder"));
    const gpu = await signatureOf(loadIncident("gpu-oom-pytorch"));
    expect(gpu.signature?.parts.category).toBe("gpu_oom");
    expect(gpu.signature?.parts.templates.join("\n")).toMatch(/CUDA out of memory\. Tried to allocate <n> GiB/);
    expect(gpu.signature?.signature).not.toBe(oom.signature?.signature);
  });

  it("another deployment with the same cause has the same signature but another workload", async () => {
    const embedder = await signatureOf(loadIncident("oom-killed-embedder"));
    const other = await signatureOf(
      rewrite(loadIncident("oom-killed-embedder"), [
        ["embedder-7c9d8f6b5", "reranker-5f6d7c8b9"],
        ['"pod-template-hash":"7c9d8f6b5"', '"pod-template-hash":"5f6d7c8b9"'],
        ["embedder", "reranker"],
        ["ml-serving", "search"],
      ]),
    );
    expect(other.signature?.signature).toBe(embedder.signature?.signature);
    expect(other.signature?.workloadKey).toBe("prod-eu/search/Deployment/reranker");
    expect(other.signature?.workloadKey).not.toBe(embedder.signature?.workloadKey);
  });

  it("a Gemini report whose top cause the offline analyzer also found takes the analyzer's quotes, so both sources agree", async () => {
    const { result, signature } = await signatureOf(loadIncident("oom-killed-embedder"));
    const gemini = {
      hypotheses: [{ category: "oom_killed" as const, evidence: [{ text: "OOMKilled", verified: true }] }],
    };
    expect(failureSignature({ report: gemini, bundle: result.bundle, signals: result.signals })?.signature).toBe(signature?.signature);
  });

  it("names no signature when no cause is named", async () => {
    const { signature } = await signatureOf(loadIncident("healthy-unknown"));
    expect(signature).toBeUndefined();
  });
});

describe("templateLine", () => {
  it("replaces numbers, hex ids, UUIDs, hashes, IPs, timestamps and durations", () => {
    expect(
      templateLine(
        "2026-11-20T09:31:41.555214044Z request 3f2a9c1e-8b7d-4e6f-a1b2-c3d4e5f6a7b8 from 10.96.44.12:6379 failed after 1m30s (image sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef, container 7c9d8f6b5e, ptr 0xdeadbeef, took 250ms) at 09:31:41 code 137",
      ),
    ).toBe("<time> request <uuid> from <ip> failed after <duration> (image <hash>, container <id>, ptr <hex>, took <duration>) at <time> code <n>");
  });

  it("replaces the incident's names as whole words only, and another replica's name", () => {
    const names = { pods: [OOM_POD], workload: "embedder", namespace: "ml-serving", container: "server" };
    expect(templateLine(`Back-off restarting failed container server in pod ${OOM_POD}_ml-serving; sibling embedder-7c9d8f6b5-zt8mw; server error`, names)).toBe(
      "Back-off restarting failed container <container> in pod <pod>_<namespace>; sibling <pod>; <container> error",
    );
    expect(templateLine("observer down", names)).toBe("observer down");
  });

  it("bounds its input and output", () => {
    const long = `${"9".repeat(200_000)} x`;
    const out = templateLine(long);
    expect(out.length).toBeLessThanOrEqual(300);
    expect(templateLine("a ".repeat(5000)).length).toBeLessThanOrEqual(300);
  });
});

describe("workloadOf", () => {
  const bundle = loadIncident("oom-killed-embedder");

  it("takes the top of the owner chain the gatherer read", () => {
    const withOwners = evidenceBundleSchema.parse({
      ...bundle,
      workload: { kind: "Job", name: "nightly-eval-29123", object: {}, owners: [{ kind: "Job", name: "nightly-eval-29123" }, { kind: "CronJob", name: "nightly-eval" }] },
    });
    expect(workloadOf(withOwners)).toEqual({ cluster: "prod-eu", namespace: "ml-serving", kind: "CronJob", name: "nightly-eval" });
  });

  it("names the Deployment behind a ReplicaSet by its pod-template-hash", () => {
    expect(workloadOf(bundle)).toEqual({ cluster: "prod-eu", namespace: "ml-serving", kind: "Deployment", name: "embedder" });
  });

  it("drops a bare pod's generated suffix", () => {
    const bare = evidenceBundleSchema.parse({ ...bundle, pod: null, target: { namespace: "ml", pod: "scratch-x7k2p" } });
    expect(workloadOf(bare)).toEqual({ cluster: "prod-eu", namespace: "ml", kind: "Pod", name: "scratch" });
  });
});
