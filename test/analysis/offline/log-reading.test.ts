import { describe, expect, it } from "vitest";
import { diagnose } from "@/lib/analysis/offline/diagnose";
import { offlineReport } from "@/lib/analysis/offline/report";
import { isProgressLine, logLevel, stripPrefix } from "@/lib/analysis/offline/text";
import { detectServer } from "@/lib/analysis/offline/server";
import { evidenceBundleSchema, type EvidenceBundle } from "@/lib/cluster/bundle";
import { loadIncident } from "../../fixtures/incidents";

/**
 * The offline analyzer reads what the logs say (issue 16, item 4). Each fixture reproduces one wrong
 * output the demo gave a new user; the tests name the mechanism, not the instance.
 */

function report(bundle: EvidenceBundle) {
  return offlineReport(diagnose(bundle), "GEMINI_API_KEY is not set", bundle);
}

const message = (text: string) => stripPrefix(text).text.trim();

describe("log levels and progress bars", () => {
  it.each([
    ["2026-12-07 00:17:37,847 INFO [asr.main] HF_HUB_OFFLINE=1 TRANSFORMERS_CACHE=/mnt/models/.cache", "info"],
    ["INFO 11-20 09:56:02 api_server.py:528] vLLM API server version 0.6.3.post1", "info"],
    ["(EngineCore_DP0 pid=266) ERROR 11-20 09:33:51 [core.py:700] EngineCore failed to start.", "error"],
    ["WARNING 11-20 10:00:07 scheduler.py:1481] Sequence group cmpl-1 is preempted by PreemptionMode.RECOMPUTE mode", "warn"],
    ["2026-11-20T09:53:40.220915Z ERROR compat_generate{}: text_generation_router::infer: router/src/infer/mod.rs:105: Model is overloaded", "error"],
    ["2026-11-20T09:50:01.120411Z  INFO text_generation_router::server: router/src/server.rs:513: Success", "info"],
    ["E1120 09:58:12.402118 1 python_be.cc:1289] \"Failed to process the request(s)\"", "error"],
    ["I1120 09:55:01.221870 1 model_lifecycle.cc:472] \"loading: trocr_large:1\"", "info"],
    ['{"level":"warn","msg":"queue full"}', "warn"],
    ["2026-12-07 00:26:54,420 INFO reranker: retrying after connection error", "info"],
    ["torch.OutOfMemoryError: CUDA out of memory.", "none"],
  ] as const)("%s → %s", (line, level) => {
    expect(logLevel(line)).toBe(level);
  });

  it("recognizes tqdm and vLLM progress bars, not ordinary lines", () => {
    expect(isProgressLine(" 67%|███████   | 20/30 [00:04<00:02,  4.70it/s]")).toBe(true);
    expect(isProgressLine("Loading safetensors checkpoint shards:  50% Completed | 2/4 [00:04<00:04,  2.01s/it]")).toBe(true);
    expect(isProgressLine("Loading pipeline components...: 100%|██████████| 7/7 [00:04<00:00,  1.52it/s]")).toBe(true);
    expect(isProgressLine("  File \"/app/worker.py\", line 141, in run_job")).toBe(false);
    expect(isProgressLine("host memory 28.6GiB is above 80% of the container limit (32GiB)")).toBe(false);
  });
});

describe("what the logs say becomes signals and impact", () => {
  it("WARN lines naming the memory limit make a hypothesis instead of 'no known failure signature'", () => {
    const r = report(loadIncident("python-memory-limit-warnings"));
    expect(r.summary).not.toMatch(/no known failure/i);
    expect(r.insufficientEvidence).toBe(false);
    expect(r.hypotheses[0]).toMatchObject({ category: "oom_killed", likelihood: "medium" });
    expect(r.hypotheses[0]?.title).toMatch(/^Memory close to the container limit/);
    expect(r.hypotheses[0]?.explanation).toMatch(/Nothing has been killed yet/);
    expect(r.hypotheses[0]?.evidence[0]).toMatchObject({ source: "logs", verified: true });
    expect(r.hypotheses[0]?.evidence[0]?.text).toMatch(/WARNING code_assist\.cache - host memory [\d.]+GiB is above 80% of the container limit \(32GiB\)/);
    expect(r.impact).toMatch(/memory close to its limit/);
  });

  it("INFO lines never carry a hypothesis alone: an echoed HF_HUB_OFFLINE=1 is not a failed download", () => {
    const bundle = loadIncident("info-env-line-liveness-load");
    expect(bundle.previousLogs).toMatch(/ INFO \[asr\.main\] HF_HUB_OFFLINE=1/);
    const d = diagnose(bundle);
    expect(d.hypotheses.map((h) => h.category)).not.toContain("model_load_failure");
    expect(d.hypotheses[0]?.category).toBe("probe_failure");

    const onlyInfo = evidenceBundleSchema.parse({
      alert: { labels: { namespace: "ml", pod: "asr-0" } },
      logs: "2026-12-07 00:17:37,847 INFO [asr.main] HF_HUB_OFFLINE=1 TRANSFORMERS_CACHE=/mnt/models/.cache\n2026-12-07 00:17:38,002 INFO [asr.main] Loading model from cache\n",
    });
    expect(diagnose(onlyInfo).hypotheses.map((h) => h.category)).toEqual(["unknown"]);
    // The same words on a WARN line still count.
    const warn = evidenceBundleSchema.parse({ ...onlyInfo, logs: "2026-12-07 00:17:37,847 ERROR [asr.main] We couldn't connect to 'https://huggingface.co' to load this file\n" });
    expect(diagnose(warn).hypotheses[0]?.category).toBe("model_load_failure");
  });

  it("shedding, HTTP 503s and p99 over the SLO are the impact; it never says 'Running and Ready'", () => {
    const r = report(loadIncident("uvicorn-shedding-503-latency"));
    expect(r.impact).not.toContain("Running and Ready");
    expect(r.summary).not.toContain("Running and Ready");
    expect(r.impact).toMatch(/is up and passes its readiness probe, but is not serving its traffic well/);
    expect(r.impact).toMatch(/\d+ request-rejection warnings \(shedding request: queue_depth=\d+ exceeds max_queue=40\)/);
    expect(r.impact).toMatch(/\d+ HTTP 503 answers among \d+ logged requests/);
    expect(r.impact).toMatch(/p99 over last 60s = \d+ms \(SLO 800ms\)/);
    expect(r.hypotheses[0]?.category).toBe("overload");
    expect(r.hypotheses[0]?.evidence.every((e) => e.verified)).toBe(true);
  });

  it("cites a quote once, though the kubelet served it as both current and previous logs", () => {
    const bundle = loadIncident("crashloop-same-logs-twice");
    expect(bundle.logs).toBe(bundle.previousLogs);
    const r = report(bundle);
    for (const h of r.hypotheses) {
      const messages = h.evidence.map((e) => message(e.text));
      expect(new Set(messages).size, h.title).toBe(messages.length);
    }
    const all = r.hypotheses.flatMap((h) => h.evidence.map((e) => message(e.text)));
    expect(new Set(all).size).toBe(all.length);
  });

  it("never cites a progress bar as proof", () => {
    const bundle = loadIncident("diffusers-cuda-oom-progress-bars");
    expect(bundle.previousLogs).toMatch(/\d+%\|█+/);
    const r = report(bundle);
    const evidence = [...r.hypotheses.flatMap((h) => h.evidence), ...diagnose(bundle).signals.flatMap((s) => s.evidence)];
    expect(evidence.length).toBeGreaterThan(0);
    expect(evidence.filter((e) => isProgressLine(e.text) || /\d+%\|/.test(e.text))).toEqual([]);
  });
});

describe("actions", () => {
  it("belong to their hypothesis; an unlikely one is conditional and gets no command that changes the cluster", () => {
    const r = report(loadIncident("info-env-line-liveness-load"));
    const low = r.hypotheses.flatMap((h, i) => (h.likelihood === "low" ? [i + 1] : []));
    expect(low.length).toBeGreaterThan(0);
    for (const a of r.immediateActions) {
      if (a.hypothesis === undefined) continue;
      expect(a.hypothesis).toBeLessThanOrEqual(r.hypotheses.length);
      if (low.includes(a.hypothesis)) {
        expect(a.step).toMatch(/^If further checks confirm ".+" \(low likelihood\), then: /);
        expect(a.command ?? "").not.toMatch(/set resources|rollout undo|scale|patch|drain|cordon|delete/);
      }
    }
    // The memory raise belonged to a low-likelihood SIGKILL reading: it is no longer offered as the fix.
    expect(r.immediateActions.map((a) => a.command ?? "").join("\n")).not.toContain("set resources");
    const first = r.immediateActions.filter((a) => a.hypothesis === 1);
    expect(first.length).toBeGreaterThan(0);
    expect(first[0]?.step).toMatch(/startupProbe/);
  });

  it("general steps carry no hypothesis, and every hypothesis has its own steps", () => {
    const r = report(loadIncident("oom-killed-embedder"));
    expect(r.immediateActions[0]).toMatchObject({ step: "Confirm the pod's state, last termination and recent events." });
    expect(r.immediateActions[0]?.hypothesis).toBeUndefined();
    for (let i = 1; i <= r.hypotheses.length; i++) expect(r.immediateActions.some((a) => a.hypothesis === i), `hypothesis ${i}`).toBe(true);
  });
});

describe("advice matches the model server the logs show", () => {
  it("detects vLLM, TGI, Triton and others from the logs, then the image", () => {
    expect(detectServer(loadIncident("bad-rollout-max-model-len"))).toBe("vllm");
    expect(detectServer(loadIncident("tgi-overloaded-hpa-at-max"))).toBe("tgi");
    expect(detectServer(loadIncident("triton-python-backend-cuda-oom"))).toBe("triton");
    expect(detectServer(loadIncident("diffusers-cuda-oom-progress-bars"))).toBe("other");
    expect(detectServer(evidenceBundleSchema.parse({ alert: { labels: {} }, pod: { spec: { containers: [{ name: "s", image: "nvcr.io/nvidia/tritonserver:24.08-py3" }] } }, container: "s" }))).toBe("triton");
  });

  it("a diffusers CUDA OOM gets no vLLM flags", () => {
    const [top] = diagnose(loadIncident("diffusers-cuda-oom-progress-bars")).hypotheses;
    expect(top?.category).toBe("gpu_oom");
    expect(top?.suggestion).not.toMatch(/vLLM|--max-model-len|--max-num-seqs|gpu_memory_utilization/);
    expect(top?.suggestion).toMatch(/batch size/);
  });

  it("Triton gets config.pbtxt, TGI gets its own flags", () => {
    const triton = diagnose(loadIncident("triton-python-backend-cuda-oom")).hypotheses[0];
    expect(triton?.suggestion).toMatch(/max_batch_size .*config\.pbtxt/);
    expect(triton?.suggestion).not.toMatch(/--max-model-len|--max-num-seqs/);
    const tgi = diagnose(loadIncident("tgi-overloaded-hpa-at-max")).hypotheses[0];
    expect(tgi?.category).toBe("overload");
    expect(tgi?.suggestion).toMatch(/--max-concurrent-requests/);
    expect(tgi?.suggestion).not.toMatch(/--max-num-seqs|config\.pbtxt/);
  });
});
