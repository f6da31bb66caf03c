import { describe, expect, test } from "vitest";
import { micromark } from "micromark";
import { renderReportMarkdown } from "@/lib/analysis/report-markdown";
import { reportSchema, type Report } from "@/lib/analysis/types";
import { NS } from "@/test/analysis/gemini-fixture";

/** Markdown → HTML with raw HTML and every URL protocol allowed: the worst case of any renderer. */
function unsafeHtml(md: string): string {
  return micromark(md, { allowDangerousHtml: true, allowDangerousProtocol: true });
}

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

  test("an action says which hypothesis it belongs to; a general step does not", () => {
    const md = renderReportMarkdown(
      geminiReport({
        immediateActions: [
          { step: "Confirm the pod's state.", command: `kubectl -n ${NS} describe pod p` },
          { step: "Raise the memory limit", command: `kubectl -n ${NS} set resources deployment/x -c vllm --limits=memory=24Gi`, hypothesis: 1 },
          { step: "If further checks confirm it, then: check the node.", hypothesis: 2 },
        ],
      }),
    );
    expect(md).toContain("1. Confirm the pod's state.\n");
    expect(md).toContain("2. _For hypothesis 1:_ Raise the memory limit\n\n   ```bash");
    expect(md).toContain("3. _For hypothesis 2:_ If further checks confirm it, then: check the node.");
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
});
