import { describe, expect, test } from "vitest";
import { micromark } from "micromark";
import { codeSpan, escapeMarkdown, offlineReport, renderReportMarkdown } from "@/lib/analysis/report";
import { reportSchema, type Report, type Signal } from "@/lib/analysis/types";
import { evidenceBundleSchema } from "@/lib/cluster/bundle";
import { CONTAINER, NS, POD, oomBundle } from "@/test/analysis/gemini-fixture";
import { diagnose } from "@/lib/analysis/diagnose";
import { redactBundle } from "@/lib/analysis/redact";

/** Markdown → HTML with raw HTML and every URL protocol allowed: the worst case of any renderer. */
function unsafeHtml(md: string): string {
  return micromark(md, { allowDangerousHtml: true, allowDangerousProtocol: true });
}

const oomSignal: Signal = {
  category: "oom_killed",
  title: "Container vllm was OOMKilled (exit code 137)",
  confidence: 0.95,
  evidence: [
    { source: "previousLogs", line: 12, text: "Killed" },
    { source: "status", text: '"reason":"OOMKilled"' },
  ],
  suggestion: `The container exceeded its memory limit. Verify with \`kubectl describe pod ${POD} -n ${NS}\` and \`kubectl top pod ${POD} -n ${NS} --containers\`.`,
};

const loadSignal: Signal = {
  category: "model_load_failure",
  title: "Model load made up by a buggy detector",
  confidence: 0.3,
  evidence: [{ source: "logs", line: 3, text: "OSError: model.safetensors not found" }],
  suggestion: "Check the model path.",
};

function geminiReport(over: Partial<Report> = {}): Report {
  return reportSchema.parse({
    source: "gemini",
    model: "gemini-3.8-flash",
    summary: "The vLLM container is OOMKilled while allocating swap space.",
    hypotheses: [
      {
        title: "Host memory limit too low for swap space",
        category: "oom_killed",
        likelihood: "high",
        explanation: "Pinned host memory for the swap space pushes the container over 16Gi.",
        evidence: [
          { source: "previousLogs", line: 11, text: "Allocating 16.0 GiB of pinned host memory for the swap space", verified: true },
          { source: "logs", line: 99, text: "torch.OutOfMemoryError: CUDA out of memory", verified: false },
        ],
      },
    ],
    impact: "Chat completions for meta-llama-3.1-8b-instruct fail.",
    immediateActions: [{ step: "Raise the memory limit", command: `kubectl -n ${NS} set resources deployment/llm-chat-vllm -c vllm --limits=memory=24Gi` }],
    prevention: ["Set --swap-space 4 for vLLM."],
    usage: { inputTokens: 812, outputTokens: 240 },
    durationMs: 3240,
    generatedAt: "2026-11-20T10:00:00.000Z",
    ...over,
  });
}

describe("offlineReport", () => {
  test("the offline diagnosis becomes a labelled, grounded report with concrete commands", () => {
    const r = offlineReport({ hypotheses: [oomSignal], signals: [oomSignal] }, "quota exhausted (retry after 33s)", oomBundle());
    expect(r).toMatchObject({ source: "offline", model: null, offlineReason: "quota exhausted (retry after 33s)", insufficientEvidence: false });
    expect(r.summary).toContain(oomSignal.title);
    expect(r.hypotheses[0]).toMatchObject({ category: "oom_killed", likelihood: "high" });
    expect(r.hypotheses[0]?.evidence.map((e) => [e.text, e.verified])).toEqual([
      ["Killed", true],
      ['"reason":"OOMKilled"', true],
    ]);
    expect(r.impact).toContain(`Pod ${NS}/${POD} is not serving: 7 restarts, vllm CrashLoopBackOff, vllm last terminated OOMKilled (exit code 137).`);
    expect(r.impact).toContain("Alert ModelPodOOMKilled (critical) is firing since 2026-11-20T09:44:03.157Z.");

    const commands = r.immediateActions.map((a) => a.command ?? "").join("\n");
    expect(commands).toContain(`kubectl -n ${NS} describe pod ${POD}`);
    expect(commands).toContain(`kubectl -n ${NS} logs ${POD} -c ${CONTAINER} --previous --tail=200`);
    expect(commands).toContain(`kubectl top pod ${POD} -n ${NS} --containers`);
    expect(commands).toContain(`kubectl -n ${NS} set resources deployment/llm-chat-vllm -c vllm --limits=memory=24Gi --requests=memory=24Gi`);
    expect(commands).toContain(`kubectl -n ${NS} rollout undo deployment/llm-chat-vllm`);
    expect(r.immediateActions.some((a) => a.step.includes("`"))).toBe(false);
    expect(r.prevention.join(" ")).toMatch(/memory requests and limits/);
  });

  test("with the real offline analyzer: OOM found first, every quote verified, markdown labelled", () => {
    const { bundle } = redactBundle(oomBundle());
    const r = offlineReport(diagnose(bundle), "GEMINI_API_KEY is not set", bundle);
    expect(r.hypotheses[0]?.category).toBe("oom_killed");
    const evidence = r.hypotheses.flatMap((h) => h.evidence);
    expect(evidence.length).toBeGreaterThan(0);
    expect(evidence.filter((e) => !e.verified)).toEqual([]);
    expect(renderReportMarkdown(r)).toContain("**Offline analysis (Gemini unavailable: GEMINI_API_KEY is not set)**");
  });

  test("evidence that is not in the bundle is still caught by grounding and ranked last", () => {
    const r = offlineReport({ hypotheses: [loadSignal, oomSignal], signals: [] }, undefined, oomBundle());
    expect(r.hypotheses.map((h) => h.category)).toEqual(["oom_killed", "model_load_failure"]);
    expect(r.hypotheses[1]?.evidence[0]?.verified).toBe(false);
    expect(r.hypotheses[1]?.likelihood).toBe("low");
  });

  test("no signal: insufficient evidence, still a complete report", () => {
    const bundle = evidenceBundleSchema.parse({
      alert: { labels: { alertname: "ModelPodNotRunning", namespace: "prod", pod: "web-1" } },
      pod: null,
      errors: [{ part: "logs", code: 403, message: "forbidden: cannot get pods/log" }],
    });
    const r = offlineReport({ hypotheses: [], signals: [] }, "GEMINI_API_KEY is not set", bundle);
    expect(r.insufficientEvidence).toBe(true);
    expect(r.hypotheses).toEqual([]);
    expect(r.summary).toMatch(/no known failure pattern/);
    expect(r.impact).toContain("Pod prod/web-1 was not found");
    expect(r.impact).toContain("Evidence missing: logs (forbidden: cannot get pods/log)");
    expect(r.immediateActions[0]?.command).toBe("kubectl -n prod describe pod web-1");
  });

  test("unsafe label values never reach a command", () => {
    const bundle = evidenceBundleSchema.parse({ alert: { labels: { namespace: "prod", pod: "x; rm -rf /" } } });
    const r = offlineReport({ hypotheses: [], signals: [] }, undefined, bundle);
    expect(r.immediateActions.map((a) => a.command).join("\n")).not.toContain("rm -rf");
    expect(r.immediateActions[0]?.command).toBe("kubectl -n prod describe pod <pod>");
  });
});

describe("renderReportMarkdown", () => {
  test("sections in order, ranked hypotheses, evidence, numbered commands and the footer", () => {
    const md = renderReportMarkdown(geminiReport());
    const order = ["### Summary", "### Root-cause hypotheses", "#### 1. Host memory limit too low", "### Impact", "### Immediate actions", "### Prevention", "Source: gemini"];
    const idx = order.map((h) => md.indexOf(h));
    expect(idx.every((i) => i >= 0)).toBe(true);
    expect([...idx].sort((a, b) => a - b)).toEqual(idx);
    expect(md).toContain("**Likelihood:** high · **Category:** oom_killed");
    expect(md).toContain("- `Allocating 16.0 GiB of pinned host memory for the swap space` (previousLogs, line 11)");
    expect(md).toContain("- ⚠ unverified — not found in the gathered evidence: `torch.OutOfMemoryError: CUDA out of memory` (logs, line 99)");
    expect(md).toContain("1. Raise the memory limit\n\n   ```bash\n   kubectl -n ml-serving set resources");
    expect(md).toContain("Source: gemini · Model: gemini-3.8-flash · Tokens: 812 in / 240 out · Time: 3.2 s");
    expect(md).not.toContain("Offline analysis");
    const html = unsafeHtml(md);
    expect(html).toContain('<code class="language-bash">kubectl -n ml-serving set resources');
    expect(html).toMatch(/<ol>\s*<li>/);
  });

  test("offline label with and without a reason", () => {
    const base = { source: "offline" as const, model: null, usage: undefined };
    expect(renderReportMarkdown(geminiReport({ ...base, offlineReason: "quota exhausted (retry after 33s)" }))).toContain(
      "**Offline analysis (Gemini unavailable: quota exhausted (retry after 33s))**",
    );
    expect(renderReportMarkdown(geminiReport({ ...base, offlineReason: "the API key was rejected: check GEMINI_API_KEY" }))).toContain(
      "Gemini unavailable: the API key was rejected: check GEMINI_API_KEY",
    );
    const skipped = renderReportMarkdown(geminiReport(base));
    expect(skipped).toContain("**Offline analysis**");
    expect(skipped).toContain("Source: offline · Model: none");
  });

  test("no raw HTML, links or images from untrusted text", () => {
    const evil = '<script>alert(1)</script> <img src=x onerror="alert(2)"> [click](javascript:alert(3)) ![x](https://evil.example/p.png) <a href="https://evil.example">a</a>';
    const md = renderReportMarkdown(
      geminiReport({
        summary: evil,
        model: `gemini<b>${evil}`,
        impact: evil,
        prevention: [evil],
        immediateActions: [{ step: evil, command: "echo '<script>alert(4)</script>'" }],
        hypotheses: [{ title: evil, likelihood: "low", explanation: `${evil}\n\n${evil}`, evidence: [{ text: evil, verified: false }, { text: `${evil}\n${evil}`, verified: true }] }],
      }),
    );
    const html = unsafeHtml(md);
    expect(html).not.toMatch(/<script|<img|<a |<b>|onerror="|javascript:alert\(3\)"|src="https:/i);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("[click](javascript:alert(3))");
  });

  test("fences and code spans hold any backticks", () => {
    const command = "cat <<'EOF'\n```\n````\nEOF";
    const quote = "weird `` log ``` line";
    const md = renderReportMarkdown(
      geminiReport({
        immediateActions: [{ step: "Run it", command }],
        hypotheses: [{ title: "t", likelihood: "low", explanation: "", evidence: [{ text: quote, verified: true }, { text: "`edge`", verified: true }] }],
      }),
    );
    const html = unsafeHtml(md);
    expect(html).toContain(`<code class="language-bash">${command.replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "'")}\n</code>`);
    expect(html).toContain("<code>weird `` log ``` line</code>");
    expect(html).toContain("<code>`edge`</code>");
  });

  test("escapeMarkdown and codeSpan", () => {
    expect(escapeMarkdown("a < b && c > d")).toBe("a &lt; b &amp;&amp; c &gt; d");
    expect(escapeMarkdown("GEMINI_API_KEY _x_ *y*")).toBe("GEMINI_API_KEY \\_x\\_ \\*y\\*");
    expect(codeSpan("a ` b")).toBe("``a ` b``");
  });
});
