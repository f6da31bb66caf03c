import v8 from "node:v8";
import vm from "node:vm";
import { redactText } from "@/lib/analysis/redact";
import { estimateTokens, reduceLogs } from "@/lib/analysis/reduce";

export const name = "reduce";

const LINES = 100_000;
const BURIED_AT = 61_234;
const RUNS = 5;

const OOM_TRACE = [
  "ERROR 11-20 12:31:07 engine.py:135] Exception in worker VllmWorkerProcess while processing method execute_model.",
  "Traceback (most recent call last):",
  '  File "/usr/local/lib/python3.12/dist-packages/vllm/executor/multiproc_worker_utils.py", line 223, in _run_worker_process',
  "    output = executor(*args, **kwargs)",
  '  File "/usr/local/lib/python3.12/dist-packages/vllm/worker/model_runner.py", line 1654, in execute_model',
  "    hidden_or_intermediate_states = model_executable(",
  '  File "/usr/local/lib/python3.12/dist-packages/torch/nn/modules/module.py", line 1747, in _call_impl',
  "    return forward_call(*args, **kwargs)",
  "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.96 GiB. GPU 0 has a total capacity of 79.15 GiB of which 1.02 GiB is free. Process 1 has 78.12 GiB memory in use.",
];

/** A vLLM pod's log: startup, then uvicorn access and engine metrics lines, with one CUDA OOM traceback buried inside. */
export function buildLog(): string {
  const out: string[] = [
    "INFO 11-20 10:00:01 api_server.py:585] vLLM API server version 0.6.3.post1",
    "INFO 11-20 10:00:09 model_runner.py:1056] Starting to load model meta-llama/Llama-3.1-8B-Instruct...",
    "INFO 11-20 10:01:02 model_runner.py:1067] Loading model weights took 14.9888 GB",
    "INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)",
  ];
  for (let i = out.length; out.length < LINES; i++) {
    if (out.length === BURIED_AT - 1) {
      out.push(...OOM_TRACE);
      continue;
    }
    const ts = `${String(10 + Math.floor(i / 36_000)).padStart(2, "0")}:${String(Math.floor(i / 600) % 60).padStart(2, "0")}:${String(Math.floor(i / 10) % 60).padStart(2, "0")}`;
    if (i % 10 === 0) {
      out.push(`INFO 11-20 ${ts} metrics.py:351] Avg prompt throughput: ${((i % 900) / 1.7).toFixed(1)} tokens/s, Avg generation throughput: ${((i % 300) / 3.1).toFixed(1)} tokens/s, Running: ${i % 7} reqs, Swapped: 0 reqs, Pending: 0 reqs, GPU KV cache usage: ${((i % 97) / 1.3).toFixed(1)}%, CPU KV cache usage: 0.0%.`);
    } else {
      const path = i % 3 === 0 ? '"POST /v1/chat/completions HTTP/1.1" 200 OK' : '"GET /health HTTP/1.1" 200 OK';
      out.push(`INFO:     10.244.${(i * 7) % 255}.${(i * 13) % 250}:${40000 + ((i * 31) % 20000)} - ${path}`);
    }
  }
  return out.join("\n") + "\n";
}

/** The collector, so memory figures measure reduceLogs rather than the garbage left by building the log. */
function collector(): () => void {
  v8.setFlagsFromString("--expose-gc");
  const gc: unknown = vm.runInNewContext("gc");
  return typeof gc === "function" ? () => void gc() : () => {};
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Condense a 100,000-line log with one buried CUDA OOM traceback; print time, tokens, kept lines and memory. */
export async function run(): Promise<void> {
  const gc = collector();
  const log = buildLog();
  gc();
  const rssBefore = process.memoryUsage().rss;
  const cited = [BURIED_AT + OOM_TRACE.length - 1];
  const times: number[] = [];
  let rssMax = rssBefore;
  let last = reduceLogs(log, { keepLines: cited });
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    last = reduceLogs(log, { keepLines: cited });
    times.push(performance.now() - t0);
    rssMax = Math.max(rssMax, process.memoryUsage().rss);
  }
  const kept = new Set(last.lines.flatMap((l) => ("n" in l ? [l.n] : [])));
  const traceKept = OOM_TRACE.every((_, k) => kept.has(BURIED_AT + k));
  const r0 = performance.now();
  const redacted = redactText(log);
  const redactMs = performance.now() - r0;
  const mb = (b: number) => (b / 1024 / 1024).toFixed(0);
  console.log(`input ${last.totalLines.toLocaleString("en-US")} lines, ${mb(log.length)} MB, ${estimateTokens(log).toLocaleString("en-US")} tokens (estimated)`);
  console.log(`reduceLogs median of ${RUNS}: ${median(times).toFixed(1)} ms (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})  target < 300 ms`);
  console.log(`output ${last.tokens.toLocaleString("en-US")} tokens, ${last.keptLines} kept lines, ${last.lines.length - last.keptLines} summary lines, traceback kept: ${traceKept ? "yes" : "NO"}`);
  console.log(`redactText on the same log: ${redactMs.toFixed(1)} ms, ${redacted.count} redactions`);
  console.log(`RSS ${mb(rssBefore)} MB with the log loaded, ${mb(rssMax)} MB at most while reducing (+${mb(rssMax - rssBefore)} MB)  target < 150 MB`);
}
