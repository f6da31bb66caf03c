import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { estimateTokens, reduceLogs, type ReducedLog } from "@/lib/analysis/reduce";

const VLLM_START = [
  "INFO 11-20 10:00:01 api_server.py:585] vLLM API server version 0.6.3.post1",
  "INFO 11-20 10:00:01 api_server.py:586] args: Namespace(host=None, port=8000, model='meta-llama/Llama-3.1-8B-Instruct', max_model_len=8192, gpu_memory_utilization=0.9, tensor_parallel_size=1)",
  "INFO 11-20 10:00:05 config.py:887] Defaulting to use mp for distributed inference",
  "INFO 11-20 10:00:06 llm_engine.py:237] Initializing an LLM engine (v0.6.3.post1) with config: model='meta-llama/Llama-3.1-8B-Instruct', dtype=torch.bfloat16, max_seq_len=8192, seed=0",
  "INFO 11-20 10:00:09 model_runner.py:1056] Starting to load model meta-llama/Llama-3.1-8B-Instruct...",
  "INFO 11-20 10:00:10 weight_utils.py:243] Using model weights format ['*.safetensors']",
  "Loading safetensors checkpoint shards:   0% Completed | 0/4 [00:00<?, ?it/s]",
  "Loading safetensors checkpoint shards: 100% Completed | 4/4 [00:51<00:00, 12.80s/it]",
  "INFO 11-20 10:01:02 model_runner.py:1067] Loading model weights took 14.9888 GB",
  "INFO 11-20 10:01:05 gpu_executor.py:122] # GPU blocks: 27895, # CPU blocks: 2048",
  "INFO 11-20 10:01:09 model_runner.py:1394] Capturing the model for CUDA graphs. This may lead to unexpected consequences if the model is not static.",
  "INFO 11-20 10:01:21 model_runner.py:1523] Graph capturing finished in 12 secs.",
  "INFO 11-20 10:01:21 api_server.py:232] Started engine process with PID 77",
  "INFO:     Started server process [1]",
  "INFO:     Waiting for application startup.",
  "INFO:     Application startup complete.",
  "INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)",
];
const CUDA_OOM_TRACE = [
  "ERROR:    Exception in ASGI application",
  "Traceback (most recent call last):",
  '  File "/usr/local/lib/python3.12/dist-packages/uvicorn/protocols/http/httptools_impl.py", line 401, in run_asgi',
  "    result = await app(  # type: ignore[func-returns-value]",
  '  File "/usr/local/lib/python3.12/dist-packages/vllm/worker/model_runner.py", line 1654, in execute_model',
  "    hidden_or_intermediate_states = model_executable(",
  '  File "/usr/local/lib/python3.12/dist-packages/torch/nn/modules/module.py", line 1747, in _call_impl',
  "    return forward_call(*args, **kwargs)",
  "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.96 GiB. GPU 0 has a total capacity of 79.15 GiB of which 1.02 GiB is free. Process 1 has 78.12 GiB memory in use. Of the allocated memory 76.50 GiB is allocated by PyTorch, and 1.10 GiB is reserved by PyTorch but unallocated.",
];
const JAVA_NPE = [
  "2026-11-20 10:00:01.123 ERROR 1 --- [nio-8080-exec-3] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() for servlet [dispatcherServlet] threw exception [Request processing failed; nested exception is java.lang.NullPointerException] with root cause",
  'java.lang.NullPointerException: Cannot invoke "com.example.model.Features.vector()" because "features" is null',
  "\tat com.example.serving.PredictController.predict(PredictController.java:42)",
  "\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)",
  "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:883)",
  "\tat java.base/java.lang.Thread.run(Thread.java:833)",
];
const GO_PANIC = [
  "panic: runtime error: invalid memory address or nil pointer dereference",
  "[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x8a3f21]",
  "",
  "goroutine 1 [running]:",
  "main.(*Server).loadModel(0xc0001a2000, {0xc00012e0c0, 0x1f})",
  "\t/src/cmd/server/main.go:88 +0x61",
  "main.main()",
  "\t/src/cmd/server/main.go:41 +0x1d5",
];

function access(i: number): string {
  const ip = `10.244.${(i * 7) % 255}.${(i * 13) % 250}:${40000 + ((i * 31) % 20000)}`;
  if (i % 10 === 0) {
    return `INFO 11-20 10:${String(Math.floor(i / 600) % 60).padStart(2, "0")}:${String(i % 60).padStart(2, "0")} metrics.py:351] Avg prompt throughput: ${(i % 900) / 1.7} tokens/s, Avg generation throughput: ${(i % 300) / 3.1} tokens/s, Running: ${i % 7} reqs, Swapped: 0 reqs, Pending: 0 reqs, GPU KV cache usage: ${(i % 97) / 1.3}%, CPU KV cache usage: 0.0%.`;
  }
  return i % 3 === 0
    ? `INFO:     ${ip} - "POST /v1/chat/completions HTTP/1.1" 200 OK`
    : `INFO:     ${ip} - "GET /health HTTP/1.1" 200 OK`;
}

/** vLLM startup, then uvicorn access and metrics lines, with a CUDA OOM traceback starting at line `at`. */
function vllmLog(total: number, at: number): { text: string; lines: string[] } {
  const lines = [...VLLM_START];
  while (lines.length < total) {
    if (lines.length === at - 1) lines.push(...CUDA_OOM_TRACE);
    else lines.push(access(lines.length));
  }
  return { text: lines.join("\n") + "\n", lines };
}

const keptMap = (r: ReducedLog) => new Map(r.lines.flatMap((l) => ("n" in l ? [[l.n, l.text] as const] : [])));
const covered = (r: ReducedLog) => r.lines.reduce((sum, l) => sum + ("n" in l ? 1 : "repeat" in l ? l.repeat : l.omitted), 0);

describe("reduceLogs on a 100,000-line vLLM log", () => {
  const at = 60_000;
  const { text, lines } = vllmLog(100_000, at);
  const r = reduceLogs(text);
  const kept = keptMap(r);

  it("keeps the buried traceback whole, with its original line numbers", () => {
    CUDA_OOM_TRACE.forEach((line, k) => expect(kept.get(at + k)).toBe(line));
    expect(r.text).toContain(`${at + 8}| torch.OutOfMemoryError: CUDA out of memory.`);
  });

  it("keeps the start and the tail and fits the default budget", () => {
    for (let n = 1; n <= 20; n++) expect(kept.get(n)).toBe(lines[n - 1]);
    for (let n = lines.length - 49; n <= lines.length; n++) expect(kept.get(n)).toBe(lines[n - 1]);
    expect(r.totalLines).toBe(lines.length);
    expect(r.tokens).toBeLessThanOrEqual(8000);
    expect(r.tokens).toBe(estimateTokens(r.text));
    expect(r.tokens * 100).toBeLessThan(estimateTokens(text));
    expect(covered(r)).toBe(r.totalLines);
    expect(r.keptLines).toBe(kept.size);
  });

  it("summarises omitted stretches with counts of similar lines", () => {
    const repeats = r.lines.filter((l) => "repeat" in l);
    expect(repeats.length).toBeGreaterThan(0);
    const health = repeats.find((l) => "repeat" in l && l.template.includes("GET /health HTTP"));
    expect(health && "repeat" in health ? health.repeat : 0).toBeGreaterThan(10_000);
    expect(r.text).toMatch(/\[x\d+ similar: INFO: +# - "GET \/health HTTP\/#" 2xx OK\] \(lines \d+-\d+\)/);
  });
});

describe("reduceLogs priorities", () => {
  const { text, lines } = vllmLog(20_000, 999_999);

  it("always keeps keepLines with their context", () => {
    const cite = [150, 7_777, 12_345, 19_990];
    const r = reduceLogs(text, { keepLines: cite, context: 2, budgetTokens: 3000 });
    const kept = keptMap(r);
    for (const c of cite) for (let n = c - 2; n <= c + 2; n++) expect(kept.get(n)).toBe(lines[n - 1]);
    expect(r.tokens).toBeLessThanOrEqual(3000);
    expect(r.overBudget).toBe(false);
  });

  it("keeps every cited line even when they alone exceed the budget, and says so", () => {
    const cite = Array.from({ length: 300 }, (_, k) => 1000 + k * 50);
    const r = reduceLogs(text, { keepLines: cite, budgetTokens: 500 });
    const kept = keptMap(r);
    for (const c of cite) expect(kept.get(c)).toBe(lines[c - 1]);
    expect(r.overBudget).toBe(true);
    expect(r.text.split("\n")[0]).toMatch(/^\[note: the 300 cited lines alone need about \d+ tokens, over the 500-token budget; all are kept\]$/);
  });

  it.each([120, 300, 1000, 4000, 8000])("never exceeds a budget of %i tokens", (budget) => {
    const r = reduceLogs(text, { budgetTokens: budget });
    expect(r.tokens).toBeLessThanOrEqual(budget);
    expect(r.tokens).toBe(estimateTokens(r.text));
    expect(covered(r)).toBe(r.totalLines);
  });

  it("ignores cited line numbers outside the log", () => {
    const r = reduceLogs("a\nb\nc\n", { keepLines: [0, -1, 4, 2.5, 2] });
    expect(keptMap(r).get(2)).toBe("b");
    expect(r.totalLines).toBe(3);
  });
});

describe("reduceLogs grouping", () => {
  const health = (i: number) => `INFO:     10.244.0.${1 + (i % 200)}:${30000 + i} - "GET /healthz HTTP/1.1" 200 OK`;
  const healthRepeats = (r: ReducedLog) => r.lines.flatMap((l) => ("repeat" in l && l.template.includes("/healthz") ? [l.repeat] : []));

  it("collapses 10,000 health checks into one counted line", () => {
    const lines = [...VLLM_START, ...Array.from({ length: 10_000 }, (_, i) => health(i)), ...CUDA_OOM_TRACE];
    const r = reduceLogs(lines.join("\n"));
    const repeats = healthRepeats(r);
    expect(repeats).toHaveLength(1);
    expect(repeats[0]).toBeGreaterThan(9_900);
    expect(r.text).toContain(`[x${repeats[0]} similar: INFO:     # - "GET /healthz HTTP/#" 2xx OK]`);
    expect(r.lines.filter((l) => "n" in l && l.text.includes("/healthz")).length).toBeLessThanOrEqual(60);
    expect(r.text).toContain("torch.OutOfMemoryError: CUDA out of memory");
  });

  it("does not hide a failing request among healthy ones", () => {
    const lines = [...VLLM_START];
    for (let i = 0; i < 10_000; i++) lines.push(i === 5_000 ? `INFO:     10.244.0.9:${30000 + i} - "GET /healthz HTTP/1.1" 503 Service Unavailable` : health(i));
    const r = reduceLogs(lines.join("\n"));
    const failing = lines.findIndex((l) => l.includes(" 503 ")) + 1;
    expect(keptMap(r).get(failing)).toContain("503 Service Unavailable");
    const repeats = healthRepeats(r);
    expect(repeats).toHaveLength(2);
    expect(repeats.reduce((a, b) => a + b, 0)).toBeGreaterThan(9_800);
  });

  it("keeps the first Java stack trace with its frames and collapses its repeats", () => {
    const lines: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      if (i % 400 === 200) lines.push(...JAVA_NPE);
      else lines.push(`2026-11-20 10:${String(i % 60).padStart(2, "0")}:00.${String(i % 1000).padStart(3, "0")}  INFO 1 --- [nio-8080-exec-${i % 10}] c.e.serving.PredictController : predict ok in ${i % 90}ms`);
    }
    const r = reduceLogs(lines.join("\n"), { budgetTokens: 2500 });
    const first = lines.indexOf(JAVA_NPE[1] ?? "") + 1;
    const kept = keptMap(r);
    for (let k = -1; k < JAVA_NPE.length - 1; k++) expect(kept.get(first + k)).toBe(lines[first + k - 1]);
    const npeKept = r.lines.filter((l) => "n" in l && l.text.startsWith("java.lang.NullPointerException")).length;
    expect(npeKept).toBeGreaterThanOrEqual(1);
    expect(npeKept).toBeLessThan(5);
    expect(r.tokens).toBeLessThanOrEqual(2500);
  });

  it("keeps a Go panic with its goroutine frames", () => {
    const lines = [...Array.from({ length: 3000 }, (_, i) => `{"level":"info","ts":${1732096800 + i},"msg":"request served","path":"/v1/predict","latency_ms":${i % 80}}`), ...GO_PANIC];
    const r = reduceLogs(lines.join("\n"), { budgetTokens: 1500 });
    const kept = keptMap(r);
    GO_PANIC.forEach((line, k) => expect(kept.get(3001 + k)).toBe(line));
  });
});

describe("reduceLogs edge cases", () => {
  it("handles empty input", () => {
    expect(reduceLogs("")).toEqual({ text: "", tokens: 0, keptLines: 0, totalLines: 0, lines: [], overBudget: false });
  });

  it("counts a last line without a trailing newline, and ignores a final newline", () => {
    expect(reduceLogs("a\nb").totalLines).toBe(2);
    expect(reduceLogs("a\nb\n").totalLines).toBe(2);
    expect(reduceLogs("a\n\n").totalLines).toBe(2);
  });

  it("reads CRLF like LF", () => {
    const { lines } = vllmLog(3_000, 1_500);
    const lf = reduceLogs(lines.join("\n"), { budgetTokens: 1500 });
    const crlf = reduceLogs(lines.join("\r\n") + "\r\n", { budgetTokens: 1500 });
    expect(crlf.text).toBe(lf.text);
    expect(crlf.text).not.toContain("\r");
  });

  it("truncates the display of a single 2 MB line and stays within budget", () => {
    const huge = `{"msg":"dump","payload":"${"x1y2z3".repeat(350_000)}"}`;
    const r = reduceLogs(huge);
    expect(r.totalLines).toBe(1);
    expect(r.keptLines).toBe(1);
    expect(r.text).toMatch(/^1\| \{"msg":"dump","payload":"x1y2z3x1y2z3.*…\[line truncated: 2,100,\d{3} characters\]$/);
    expect(r.tokens).toBeLessThanOrEqual(8000);
  });

  it("strips ANSI colour codes and groups coloured lines", () => {
    const colored = (i: number) => `\x1b[32mINFO\x1b[0m:     10.0.0.${i % 250}:${40000 + i} - "GET /health HTTP/1.1" \x1b[32m200 OK\x1b[0m`;
    const lines = [...Array.from({ length: 2000 }, (_, i) => colored(i)), "\x1b[31mERROR\x1b[0m model load failed: FileNotFoundError: /models/llama/config.json"];
    const r = reduceLogs(lines.join("\n"), { budgetTokens: 1500 });
    expect(r.text).not.toContain("\x1b");
    expect(r.text).toContain("2001| ERROR model load failed: FileNotFoundError: /models/llama/config.json");
    expect(r.lines.filter((l) => "repeat" in l)).toHaveLength(1);
  });

  it("keeps a small log whole", () => {
    const text = VLLM_START.join("\n");
    const r = reduceLogs(text);
    expect(r.keptLines).toBe(VLLM_START.length);
    expect(r.lines.every((l) => "n" in l)).toBe(true);
  });

  it("covers every line with one omission line when even a gap summary exceeds a tiny budget", () => {
    // fast-check's shrunk counterexample: six uvicorn access lines, two templates.
    const ls = [
      'INFO:     10.244.123.177:40249 - "POST /v1/chat/completions HTTP/1.1" 200 OK',
      'INFO:     10.244.175.75:40775 - "GET /health HTTP/1.1" 200 OK',
      'INFO:     10.244.7.13:40031 - "GET /health HTTP/1.1" 200 OK',
      'INFO:     10.244.207.108:42046 - "POST /v1/chat/completions HTTP/1.1" 200 OK',
      'INFO:     10.244.138.67:51429 - "POST /v1/chat/completions HTTP/1.1" 200 OK',
      'INFO:     10.244.106.219:42253 - "GET /health HTTP/1.1" 200 OK',
    ];
    const r = reduceLogs(ls.join("\n"), { budgetTokens: 40 });
    expect(r.tokens).toBeLessThanOrEqual(40);
    expect(r.lines).toEqual([{ omitted: 6, from: 1, to: 6 }]);
    expect(r.text).toBe("… 6 lines omitted (lines 1-6) …");
  });

  it("keeps the budget and covers every line for arbitrary logs", () => {
    const line = fc.oneof(
      fc.constantFrom(...VLLM_START, ...CUDA_OOM_TRACE, ...JAVA_NPE, ...GO_PANIC, ""),
      fc.integer({ min: 0, max: 5000 }).map(access),
      fc.string({ maxLength: 80 }).filter((s) => !s.includes("\n")),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 400 }), fc.integer({ min: 40, max: 3000 }), (ls, budget) => {
        const r = reduceLogs(ls.join("\n"), { budgetTokens: budget });
        expect(r.tokens).toBeLessThanOrEqual(budget);
        expect(covered(r)).toBe(r.totalLines);
        const ns = r.lines.flatMap((l) => ("n" in l ? [l.n] : []));
        expect(ns).toEqual([...ns].sort((a, b) => a - b));
      }),
      { numRuns: 150 },
    );
  });
});

describe("estimateTokens", () => {
  it("is zero for empty text and counts each digit", () => {
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("1234567890")).toBe(10);
  });

  it("counts dense text well above chars/4", () => {
    const hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    expect(estimateTokens(hex)).toBeGreaterThan(hex.length / 2);
    const cjk = "模型加载失败，显存不足";
    expect(estimateTokens(cjk)).toBe(cjk.length);
  });

  it("stays near chars/4 for English prose", () => {
    const prose = "The model server was killed because the container exceeded its memory limit during warmup.";
    const t = estimateTokens(prose);
    expect(t).toBeGreaterThanOrEqual(Math.floor(prose.length / 6));
    expect(t).toBeLessThanOrEqual(Math.ceil(prose.length / 3));
  });
});
