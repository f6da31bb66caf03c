import { LogWriter, between, pick, pyTime, uvicornAccess, vllmTime } from "@/lib/demo/log-text";
import { hex, rng } from "@/lib/demo/k8s-objects";

/**
 * Demo container logs, written in the formats the runtimes really print. Each function takes when the
 * container started and returns its whole output (the kubelet's tail limit applies when served).
 * A few secrets are planted on purpose so the redaction step has something to show.
 */

const CLIENTS = ["10.0.4.17", "10.0.4.23", "10.0.6.9", "10.0.2.31", "10.0.5.12"];

function vllmBoot(w: LogWriter, o: { model: string; served: string; swap: number; maxLen: number; gpuBlocks: number; cpuBlocks: number; prefix: boolean }) {
  const T = (lvl: string, src: string, msg: string) => w.line((d) => `${lvl} ${vllmTime(d)} ${src}] ${msg}`);
  T("INFO", "api_server.py:528", "vLLM API server version 0.6.3.post1");
  T(
    "INFO",
    "api_server.py:529",
    `args: Namespace(host='0.0.0.0', port=8000, uvicorn_log_level='info', allow_credentials=False, allowed_origins=['*'], allowed_methods=['*'], allowed_headers=['*'], api_key=None, lora_modules=None, prompt_adapters=None, chat_template=None, response_role='assistant', ssl_keyfile=None, ssl_certfile=None, ssl_ca_certs=None, ssl_cert_reqs=0, root_path=None, middleware=[], return_tokens_as_token_ids=False, disable_frontend_multiprocessing=False, enable_auto_tool_choice=False, tool_call_parser=None, tool_parser_plugin='', model='${o.model}', tokenizer=None, skip_tokenizer_init=False, revision=None, code_revision=None, tokenizer_revision=None, tokenizer_mode='auto', trust_remote_code=False, download_dir=None, load_format='auto', config_format=<ConfigFormat.AUTO: 'auto'>, dtype='auto', kv_cache_dtype='auto', quantization_param_path=None, max_model_len=${o.maxLen}, guided_decoding_backend='outlines', distributed_executor_backend=None, worker_use_ray=False, pipeline_parallel_size=1, tensor_parallel_size=1, max_parallel_loading_workers=None, ray_workers_use_nsight=False, block_size=16, enable_prefix_caching=${o.prefix ? "True" : "False"}, disable_sliding_window=False, use_v2_block_manager=False, num_lookahead_slots=0, seed=0, swap_space=${o.swap}.0, cpu_offload_gb=0, gpu_memory_utilization=0.92, num_gpu_blocks_override=None, max_num_batched_tokens=None, max_num_seqs=256, max_logprobs=20, disable_log_stats=False, quantization=None, rope_scaling=None, rope_theta=None, enforce_eager=False, max_context_len_to_capture=None, max_seq_len_to_capture=8192, disable_custom_all_reduce=False, tokenizer_pool_size=0, tokenizer_pool_type='ray', tokenizer_pool_extra_config=None, limit_mm_per_prompt=None, mm_processor_kwargs=None, enable_lora=False, scheduler_delay_factor=0.0, enable_chunked_prefill=None, speculative_model=None, served_model_name=['${o.served}'], disable_log_requests=False, max_log_len=200, disable_fastapi_docs=False, enable_prompt_tokens_details=False)`,
  );
  T("INFO", "api_server.py:166", `Multiprocessing frontend to use ipc:///tmp/${hex(rng(o.gpuBlocks), 8)}-${hex(rng(o.cpuBlocks), 4)}-4b1e-9c2d-${hex(rng(7), 12)} for IPC Path.`);
  T("INFO", "api_server.py:179", "Started engine process with PID 78");
  w.advance(7_400);
  T(
    "INFO",
    "llm_engine.py:237",
    `Initializing an LLM engine (v0.6.3.post1) with config: model='${o.model}', speculative_config=None, tokenizer='${o.model}', skip_tokenizer_init=False, tokenizer_mode=auto, revision=None, override_neuron_config=None, rope_scaling=None, rope_theta=None, tokenizer_revision=None, trust_remote_code=False, dtype=torch.bfloat16, max_seq_len=${o.maxLen}, download_dir=None, load_format=LoadFormat.AUTO, tensor_parallel_size=1, pipeline_parallel_size=1, disable_custom_all_reduce=False, quantization=None, enforce_eager=False, kv_cache_dtype=auto, quantization_param_path=None, device_config=cuda, decoding_config=DecodingConfig(guided_decoding_backend='outlines'), observability_config=ObservabilityConfig(otlp_traces_endpoint=None, collect_model_forward_time=False, collect_model_execute_time=False), seed=0, served_model_name=${o.served}, use_v2_block_manager=True, num_scheduler_steps=1, chunked_prefill_enabled=False multi_step_stream_outputs=True, enable_prefix_caching=${o.prefix ? "True" : "False"}, use_async_output_proc=True, use_cached_outputs=True, mm_processor_kwargs=None)`,
  );
  if (o.swap >= 12) {
    T("WARNING", "config.py:1100", `Possibly too large swap space. ${o.swap.toFixed(2)} GiB out of the 31.25 GiB total CPU memory is allocated for the swap space.`);
  }
  w.advance(1_900);
  T("INFO", "model_runner.py:1056", `Starting to load model ${o.model}...`);
  const shards = 4;
  for (let i = 0; i <= shards; i++) {
    w.line(
      `Loading safetensors checkpoint shards: ${String(Math.round((i / shards) * 100)).padStart(3)}% Completed | ${i}/${shards} [00:0${i * 2}<${i === shards ? "00:00" : `00:0${(shards - i) * 2}`}, ${i === 0 ? "?it/s" : " 1.84s/it"}]`,
    );
    w.advance(1_840);
  }
  w.line("");
  T("INFO", "model_runner.py:1067", "Loading model weights took 14.9888 GB");
  w.advance(3_600);
  T("INFO", "gpu_executor.py:122", `# GPU blocks: ${o.gpuBlocks}, # CPU blocks: ${o.cpuBlocks}`);
  T("INFO", "gpu_executor.py:126", `Maximum concurrency for ${o.maxLen} tokens per request: ${((o.gpuBlocks * 16) / o.maxLen).toFixed(2)}x`);
  w.advance(2_900);
  T(
    "INFO",
    "model_runner.py:1385",
    "Capturing the model for CUDA graphs. This may lead to unexpected consequences if the model is not static. To run the model in eager mode, set 'enforce_eager=True' or use '--enforce-eager' in the CLI.",
  );
  T(
    "INFO",
    "model_runner.py:1389",
    "CUDA graphs can take additional 1~3 GiB memory per GPU. If you are running out of memory, consider decreasing `gpu_memory_utilization` or enforcing eager mode. You can also reduce the `max_num_seqs` as needed to decrease memory usage.",
  );
  w.advance(15_200);
  T("INFO", "model_runner.py:1513", "Graph capturing finished in 15 secs.");
  T("INFO", "api_server.py:232", "vLLM to use /tmp/tmpl3k9x2pq as PROMETHEUS_MULTIPROC_DIR");
  T("WARNING", "serving_embedding.py:199", "embedding_mode is False. Embedding API will not work.");
  T("INFO", "launcher.py:19", "Available routes are:");
  for (const [route, methods] of [
    ["/openapi.json", "GET, HEAD"],
    ["/docs", "GET, HEAD"],
    ["/docs/oauth2-redirect", "GET, HEAD"],
    ["/redoc", "GET, HEAD"],
    ["/health", "GET"],
    ["/tokenize", "POST"],
    ["/detokenize", "POST"],
    ["/v1/models", "GET"],
    ["/version", "GET"],
    ["/v1/chat/completions", "POST"],
    ["/v1/completions", "POST"],
    ["/v1/embeddings", "POST"],
  ]) {
    T("INFO", "launcher.py:27", `Route: ${route}, Methods: ${methods}`);
  }
  w.line("INFO:     Started server process [1]");
  w.line("INFO:     Waiting for application startup.");
  w.line("INFO:     Application startup complete.");
  w.line("INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)");
}

interface VllmLoad {
  running: number;
  pending: number;
  swapped: number;
  gpu: number;
  cpu: number;
  prompt: number;
  gen: number;
}

function vllmTraffic(
  w: LogWriter,
  rand: () => number,
  o: { seconds: number; nodeIP: string; served: string; load: (fraction: number) => VllmLoad; preemptFrom?: number },
) {
  const T = (lvl: string, src: string, msg: string) => w.line((d) => `${lvl} ${vllmTime(d)} ${src}] ${msg}`);
  let preemptions = 0;
  const base = w.now.getTime();
  const prompt =
    "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\\n\\nCutting Knowledge Date: December 2023\\nToday Date: 20 Nov 2026\\n\\nYou are a helpful assistant for Acme support agents.<|eot_id|><|start_header_id|>user<|end_header_id|>\\n\\n".slice(0, 200);
  for (let s = 0; s < o.seconds; s += 5) {
    w.to(base + s * 1000);
    const f = s / o.seconds;
    const l = o.load(f);
    const requests = Math.max(1, Math.round(l.running / 40));
    for (let i = 0; i < requests; i++) {
      const id = `chat-${hex(rand, 32)}`;
      T(
        "INFO",
        "logger.py:37",
        `Received request ${id}: prompt: '${prompt}', params: SamplingParams(n=1, presence_penalty=0.0, frequency_penalty=0.0, repetition_penalty=1.0, temperature=0.7, top_p=1.0, top_k=-1, min_p=0.0, seed=None, stop=[], stop_token_ids=[], include_stop_str_in_output=False, ignore_eos=False, max_tokens=${pick(rand, [512, 1024, 2048, 4096])}, min_tokens=0, logprobs=None, prompt_logprobs=None, skip_special_tokens=True, spaces_between_special_tokens=True, truncate_prompt_tokens=None), guided_decoding=None, prompt_token_ids: [128000, 128006, 9125, 128007, 271, 38766, 1303, 33025, 2696, 25, 6790, 220, 2366, 18, 198, 15724, 2696, 25, 220, 508, 4723, 220, 2366, 21, 271, ...], lora_request: None, prompt_adapter_request: None.`,
      );
      w.line(uvicornAccess(pick(rand, CLIENTS), between(rand, 32768, 60999), "POST", "/v1/chat/completions", 200));
      T("INFO", "engine.py:290", `Added request ${id}.`);
      w.advance(Math.floor(4000 / requests) - between(rand, 0, 200));
    }
    if (o.preemptFrom !== undefined && f >= o.preemptFrom && rand() < 0.6) {
      preemptions += between(rand, 1, 4);
      T(
        "WARNING",
        "scheduler.py:1482",
        `Sequence group chat-${hex(rand, 32)} is preempted by PreemptionMode.SWAP mode because there is not enough KV cache space. This can affect the end-to-end performance. Increase gpu_memory_utilization or tensor_parallel_size to provide more KV cache memory. total_num_cumulative_preemption=${preemptions}`,
      );
    }
    if (s % 10 === 0) {
      w.line(uvicornAccess(o.nodeIP, between(rand, 40000, 59999), "GET", "/health", 200));
      T(
        "INFO",
        "metrics.py:349",
        `Avg prompt throughput: ${l.prompt.toFixed(1)} tokens/s, Avg generation throughput: ${l.gen.toFixed(1)} tokens/s, Running: ${l.running} reqs, Swapped: ${l.swapped} reqs, Pending: ${l.pending} reqs, GPU KV cache usage: ${l.gpu.toFixed(1)}%, CPU KV cache usage: ${l.cpu.toFixed(1)}%.`,
      );
    }
  }
  w.to(base + o.seconds * 1000);
}

/** vLLM killed by the kernel: swap-space preemption fills host memory until the cgroup limit. */
export function oomKilledLogs(prevStart: Date, curStart: Date) {
  const rand = rng(101);
  const model = "/models/meta-llama-3.1-8b-instruct";
  const served = "meta-llama-3.1-8b-instruct";
  const prev = new LogWriter(prevStart);
  vllmBoot(prev, { model, served, swap: 16, maxLen: 32768, gpuBlocks: 2848, cpuBlocks: 8192, prefix: false });
  vllmTraffic(prev, rand, {
    seconds: 850,
    nodeIP: "10.0.7.1",
    served,
    preemptFrom: 0.62,
    load: (f) => {
      const spike = f < 0.55 ? 0 : (f - 0.55) / 0.45;
      return {
        running: Math.round(18 + spike * 160 + rand() * 6),
        pending: Math.round(spike * 60 + rand() * 3),
        swapped: Math.round(Math.max(0, spike - 0.15) * 90),
        gpu: Math.min(99.9, 21 + spike * 80 + rand() * 3),
        cpu: Math.min(98.7, Math.max(0, spike - 0.15) * 120),
        prompt: 1800 + spike * 9000 + rand() * 200,
        gen: 420 + spike * 1100 + rand() * 50,
      };
    },
  });
  // The kernel kills with SIGKILL: no traceback, the log simply stops mid-traffic.
  const cur = new LogWriter(curStart);
  vllmBoot(cur, { model, served, swap: 16, maxLen: 32768, gpuBlocks: 2848, cpuBlocks: 8192, prefix: false });
  vllmTraffic(cur, rand, {
    seconds: 150,
    nodeIP: "10.0.7.1",
    served,
    load: () => ({ running: 64 + Math.round(rand() * 10), pending: 7, swapped: 0, gpu: 71 + rand() * 4, cpu: 0, prompt: 6100, gen: 980 }),
  });
  return { vllm: { previous: prev.text(), current: cur.text() }, "fluent-bit": { current: fluentBit(prevStart, 60) } };
}

function fluentBit(start: Date, minutes: number): string {
  const w = new LogWriter(start);
  const ts = (d: Date) => `[${d.toISOString().slice(0, 19).replace("T", " ")}]`;
  w.line("Fluent Bit v3.1.9");
  w.line("* Copyright (C) 2015-2024 The Fluent Bit Authors");
  w.line("* Fluent Bit is a CNCF sub-project under the umbrella of Fluentd");
  w.line("* https://fluentbit.io");
  w.line("");
  w.line((d) => `${ts(d)} [ info] [fluent bit] version=3.1.9, commit=431fa79ae2, pid=1`);
  w.line((d) => `${ts(d)} [ info] [storage] ver=1.5.2, type=memory, sync=normal, checksum=off, max_chunks_up=128`);
  w.line((d) => `${ts(d)} [ info] [input:tail:tail.0] initializing`);
  w.line((d) => `${ts(d)} [ info] [output:forward:forward.0] worker #0 started`);
  w.line((d) => `${ts(d)} [ info] [sp] stream processor started`);
  for (let m = 0; m < minutes; m += 7) {
    w.advance(7 * 60_000);
    w.line((d) => `${ts(d)} [ info] [input:tail:tail.0] inotify_fs_add(): inode=${4_128_771 + m} watch_fd=${2 + m / 7} name=/var/log/vllm/engine.log`);
  }
  return w.text();
}

/** Whisper large-v3 loading from a network volume; the liveness probe kills it before the load finishes. */
export function slowLoadLogs(prevStart: Date, curStart: Date) {
  const one = (start: Date, killedAfterSeconds: number, killed: boolean) => {
    const w = new LogWriter(start);
    const L = (lvl: string, name: string, msg: string) => w.line((d) => `${pyTime(d)} ${lvl} [${name}] ${msg}`);
    L("INFO", "asr.main", "starting whisper-asr 2.3.1 (python 3.11.9, torch 2.4.1+cu121, transformers 4.45.2)");
    L("INFO", "asr.main", "config: model_id=openai/whisper-large-v3 model_dir=/mnt/models/whisper-large-v3 device=cuda:0 dtype=float16 batch_size=16 chunk_length_s=30");
    L("INFO", "asr.main", "HF_HUB_OFFLINE=1 TRANSFORMERS_CACHE=/mnt/models/.cache");
    w.line("INFO:     Started server process [1]");
    w.line("INFO:     Waiting for application startup.");
    w.line("INFO:     Application startup complete.");
    w.line("INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)");
    L("INFO", "asr.server", "model loads in a background thread; /health waits on the model lock until it is loaded");
    L("INFO", "asr.model", "loading processor from /mnt/models/whisper-large-v3");
    w.advance(2_300);
    L("INFO", "asr.model", "loading model weights from /mnt/models/whisper-large-v3 (model.safetensors, 3.09 GB) on nfs volume models-nfs");
    let elapsed = 4;
    let mb = 0;
    while (elapsed < killedAfterSeconds) {
      w.advance(5_000);
      elapsed += 5;
      mb += 38 + (elapsed % 3);
      L("INFO", "asr.model", `read ${mb} MB / 3090 MB of model.safetensors (${(mb / elapsed).toFixed(1)} MB/s)`);
    }
    if (killed) {
      // SIGTERM from the kubelet: uvicorn shuts down, but the non-daemon loader thread keeps the process
      // alive until the grace period ends and SIGKILL follows.
      w.line("INFO:     Shutting down");
      w.line("INFO:     Waiting for application shutdown.");
    }
    return w.text();
  };
  return {
    asr: { previous: one(prevStart, 62, true), current: one(curStart, 40, false) },
    "metrics-exporter": { current: "time=\"" + prevStart.toISOString() + "\" level=info msg=\"Starting dcgm-exporter\" version=3.3.8-3.6.0\ntime=\"" + prevStart.toISOString() + "\" level=info msg=\"Pipeline starting\"\n" },
  };
}

/** A gated Hugging Face repo with an expired token: every start dies in from_pretrained. */
export function hfUnauthorizedLogs(start: Date) {
  const w = new LogWriter(start);
  const L = (lvl: string, msg: string) => w.line((d) => `${pyTime(d)} - summarizer - ${lvl} - ${msg}`);
  const reqId = "Root=1-6734f2a1-3c5e7b0d2a9f4e1c6b8d0a7f;9b1f2e77-4c1d-4a0b-8e2a-6f3d5c7b9a10";
  const url = "https://huggingface.co/mistralai/Mistral-7B-Instruct-v0.3/resolve/main/config.json";
  L("INFO", "summarizer 1.8.0 starting (python 3.11.9, torch 2.4.1+cu121, transformers 4.46.1, huggingface_hub 0.26.2)");
  L("INFO", "environment: HF_HOME=/cache/huggingface HF_HUB_ENABLE_HF_TRANSFER=1 HF_TOKEN=hf_QbVtRkZyXwPmLnJhGfDsAqWeRtYuIoPlKjHg");
  L("INFO", "summary store: postgresql://summarizer:Wq7!vR2pLx9sKd@pg-main.data.svc.cluster.local:5432/summaries?sslmode=require");
  L("INFO", "loading tokenizer and model mistralai/Mistral-7B-Instruct-v0.3 (revision main, torch_dtype=bfloat16, device_map=auto)");
  w.advance(812);
  w.line("Traceback (most recent call last):");
  w.line('  File "/usr/local/lib/python3.11/site-packages/huggingface_hub/utils/_http.py", line 406, in hf_raise_for_status');
  w.line("    response.raise_for_status()");
  w.line('  File "/usr/local/lib/python3.11/site-packages/requests/models.py", line 1024, in raise_for_status');
  w.line("    raise HTTPError(http_error_msg, response=self)");
  w.line(`requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: ${url}`);
  w.line("");
  w.line("The above exception was the direct cause of the following exception:");
  w.line("");
  w.line("Traceback (most recent call last):");
  w.line('  File "/usr/local/lib/python3.11/site-packages/transformers/utils/hub.py", line 403, in cached_file');
  w.line("    resolved_file = hf_hub_download(");
  w.line("                    ^^^^^^^^^^^^^^^^");
  w.line('  File "/usr/local/lib/python3.11/site-packages/huggingface_hub/utils/_validators.py", line 114, in _inner_fn');
  w.line("    return fn(*args, **kwargs)");
  w.line("           ^^^^^^^^^^^^^^^^^^^");
  w.line('  File "/usr/local/lib/python3.11/site-packages/huggingface_hub/file_download.py", line 862, in hf_hub_download');
  w.line("    return _hf_hub_download_to_cache_dir(");
  w.line("           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^");
  w.line('  File "/usr/local/lib/python3.11/site-packages/huggingface_hub/file_download.py", line 969, in _hf_hub_download_to_cache_dir');
  w.line("    _raise_on_head_call_error(head_call_error, force_download, local_files_only)");
  w.line('  File "/usr/local/lib/python3.11/site-packages/huggingface_hub/file_download.py", line 1484, in _raise_on_head_call_error');
  w.line("    raise head_call_error");
  w.line('  File "/usr/local/lib/python3.11/site-packages/huggingface_hub/file_download.py", line 1376, in _get_metadata_or_catch_error');
  w.line("    metadata = get_hf_file_metadata(");
  w.line("               ^^^^^^^^^^^^^^^^^^^^^");
  w.line('  File "/usr/local/lib/python3.11/site-packages/huggingface_hub/file_download.py", line 1296, in get_hf_file_metadata');
  w.line("    r = _request_wrapper(");
  w.line("        ^^^^^^^^^^^^^^^^^");
  w.line('  File "/usr/local/lib/python3.11/site-packages/huggingface_hub/file_download.py", line 277, in _request_wrapper');
  w.line("    response = _request_wrapper(");
  w.line("               ^^^^^^^^^^^^^^^^^");
  w.line('  File "/usr/local/lib/python3.11/site-packages/huggingface_hub/file_download.py", line 301, in _request_wrapper');
  w.line("    hf_raise_for_status(response)");
  w.line('  File "/usr/local/lib/python3.11/site-packages/huggingface_hub/utils/_http.py", line 423, in hf_raise_for_status');
  w.line("    raise _format(GatedRepoError, message, response) from e");
  w.line(`huggingface_hub.errors.GatedRepoError: 401 Client Error. (Request ID: ${reqId})`);
  w.line("");
  w.line(`Cannot access gated repo for url ${url}.`);
  w.line("Access to model mistralai/Mistral-7B-Instruct-v0.3 is restricted. You must have access to it and be authenticated to access it. Please log in.");
  w.line("");
  w.line("The above exception was the direct cause of the following exception:");
  w.line("");
  w.line("Traceback (most recent call last):");
  w.line('  File "/app/summarizer/server.py", line 212, in <module>');
  w.line("    main()");
  w.line('  File "/app/summarizer/server.py", line 198, in main');
  w.line("    engine = SummaryEngine.from_settings(settings)");
  w.line("             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^");
  w.line('  File "/app/summarizer/engine.py", line 64, in from_settings');
  w.line("    tokenizer = AutoTokenizer.from_pretrained(settings.model_id, revision=settings.revision)");
  w.line("                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^");
  w.line('  File "/usr/local/lib/python3.11/site-packages/transformers/models/auto/tokenization_auto.py", line 857, in from_pretrained');
  w.line("    config = AutoConfig.from_pretrained(");
  w.line("             ^^^^^^^^^^^^^^^^^^^^^^^^^^^");
  w.line('  File "/usr/local/lib/python3.11/site-packages/transformers/models/auto/configuration_auto.py", line 1017, in from_pretrained');
  w.line("    config_dict, unused_kwargs = PretrainedConfig.get_config_dict(pretrained_model_name_or_path, **kwargs)");
  w.line("                                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^");
  w.line('  File "/usr/local/lib/python3.11/site-packages/transformers/configuration_utils.py", line 574, in get_config_dict');
  w.line("    config_dict, kwargs = cls._get_config_dict(pretrained_model_name_or_path, **kwargs)");
  w.line("                          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^");
  w.line('  File "/usr/local/lib/python3.11/site-packages/transformers/configuration_utils.py", line 633, in _get_config_dict');
  w.line("    resolved_config_file = cached_file(");
  w.line("                           ^^^^^^^^^^^^");
  w.line('  File "/usr/local/lib/python3.11/site-packages/transformers/utils/hub.py", line 421, in cached_file');
  w.line("    raise EnvironmentError(");
  w.line("OSError: You are trying to access a gated repo.");
  w.line("Make sure to have access to it at https://huggingface.co/mistralai/Mistral-7B-Instruct-v0.3.");
  w.line(`401 Client Error. (Request ID: ${reqId})`);
  w.line("");
  w.line(`Cannot access gated repo for url ${url}.`);
  w.line("Access to model mistralai/Mistral-7B-Instruct-v0.3 is restricted. You must have access to it and be authenticated to access it. Please log in.");
  const text = w.text();
  // While the container waits in CrashLoopBackOff the kubelet serves the last terminated instance for both.
  return { server: { previous: text, current: text } };
}

/** A cross-encoder reranker at its 2-CPU limit: torch and the tokenizers each start a thread per host core. */
export function cpuThrottlingLogs(start: Date, minutes: number) {
  const rand = rng(606);
  const w = new LogWriter(start);
  const L = (lvl: string, msg: string) => w.line((d) => `${pyTime(d)} ${lvl} reranker: ${msg}`);
  L("INFO", "reranker-api 0.9.4 starting: model=BAAI/bge-reranker-v2-m3 device=cpu max_length=512 batch_size=64");
  L("INFO", "torch 2.4.1+cpu: torch.get_num_threads()=32 torch.get_num_interop_threads()=32 (os.cpu_count()=32; cgroup cpu.max=200000 100000)");
  L("INFO", "tokenizers 0.20.1: RAYON_RS_NUM_THREADS unset, TOKENIZERS_PARALLELISM unset");
  L("INFO", "loaded model in 6.8s (568M parameters, fp32)");
  w.line("INFO:     Started server process [1]");
  w.line("INFO:     Waiting for application startup.");
  w.line("INFO:     Application startup complete.");
  w.line("INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)");
  w.line(
    "huggingface/tokenizers: The current process just got forked, after parallelism has already been used. Disabling parallelism to avoid deadlocks...",
  );
  w.line("To disable this warning, you can either:");
  w.line("\t- Avoid using `tokenizers` before the fork if possible");
  w.line("\t- Explicitly set the environment variable TOKENIZERS_PARALLELISM=(true | false)");
  const total = minutes * 60;
  for (let s = 0; s < total; s += 3) {
    const f = s / total;
    const load = f < 0.4 ? 0.3 : Math.min(1, 0.3 + (f - 0.4) * 2);
    const pairs = pick(rand, [16, 32, 64, 64, 100]);
    const ms = Math.round((180 + load * 2600) * (pairs / 64) * (0.8 + rand() * 0.5));
    L("INFO", `rerank query_len=${between(rand, 6, 40)} pairs=${pairs} tokens=${pairs * between(rand, 180, 420)} took=${ms}ms queue_depth=${Math.round(load * 40 * rand())}`);
    const status = load > 0.85 && rand() < 0.12 ? 503 : 200;
    w.line(uvicornAccess(pick(rand, CLIENTS), between(rand, 32768, 60999), "POST", "/rerank", status));
    if (status === 503) L("WARNING", `shedding request: queue_depth=${between(rand, 41, 60)} exceeds max_queue=40`);
    if (s % 15 === 0) {
      w.line(uvicornAccess("10.0.5.1", between(rand, 40000, 59999), "GET", "/ready", 200));
      w.line(uvicornAccess("10.0.5.1", between(rand, 40000, 59999), "GET", "/live", 200));
    }
    if (load > 0.6 && s % 60 === 0) {
      L("WARNING", `slow batch: p99 over last 60s = ${Math.round(2500 + load * 3000)}ms (SLO 800ms); event loop lag ${between(rand, 300, 1900)}ms`);
    }
    w.advance(3_000);
  }
  return { reranker: { current: w.text() } };
}

/** A chat-completion server whose per-session KV cache (kept in host memory) has no bound. */
export function kvCacheLogs(start: Date, minutes: number) {
  const rand = rng(707);
  const w = new LogWriter(start);
  const L = (lvl: string, name: string, msg: string) => w.line((d) => `${pyTime(d)} ${lvl} ${name} - ${msg}`);
  L("INFO", "code_assist.app", "code-assist 3.2.0 (python 3.11.9, torch 2.4.1+cu121, transformers 4.46.1)");
  L("INFO", "code_assist.app", "model=Qwen/Qwen2.5-Coder-7B-Instruct dtype=bfloat16 device=cuda:0 attn_implementation=sdpa");
  L("INFO", "code_assist.app", "session cache: backend=host-memory offload_past_key_values=True max_sessions=None ttl_seconds=None");
  L("INFO", "code_assist.app", "telemetry sink: postgresql://code_assist:Rk4$z8TqMv2n@pg-analytics.data.svc.cluster.local:5432/telemetry");
  L("INFO", "code_assist.model", "Loading checkpoint shards: 100%|██████████| 4/4 [00:09<00:00,  2.31s/it]");
  w.line("INFO:     Started server process [1]");
  w.line("INFO:     Waiting for application startup.");
  w.line("INFO:     Application startup complete.");
  w.line("INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)");
  let sessions = 0;
  let tokens = 0;
  const total = minutes * 60;
  for (let s = 0; s < total; s += 4) {
    const newSession = rand() < 0.55;
    if (newSession) sessions += 1;
    const prompt = between(rand, 200, 1200);
    // Only the new turn is appended to a session's cache; the shared prefix is already there.
    tokens += between(rand, 120, 520);
    const sid = `s_${hex(rand, 12)}`;
    L("INFO", "code_assist.chat", `session=${sid} ${newSession ? "new" : "resume"} prompt_tokens=${prompt} completion_tokens=${between(rand, 20, 700)} latency_ms=${between(rand, 400, 5200)}`);
    w.line(uvicornAccess(pick(rand, CLIENTS), between(rand, 32768, 60999), "POST", "/v1/chat/completions", 200));
    if (s % 20 === 0) w.line(uvicornAccess("10.0.3.1", between(rand, 40000, 59999), "GET", "/healthz", 200));
    if (s % 60 === 0) {
      // Qwen2.5-7B: 28 layers x 4 KV heads x 128 dims x 2 (K,V) x 2 bytes = 57,344 bytes per token.
      const gib = 3.2 + (tokens * 57_344) / 2 ** 30;
      L("INFO", "code_assist.cache", `sessions=${sessions} cached_tokens=${tokens} host_kv_bytes=${gib.toFixed(1)}GiB evicted=0 rss=${(gib + 2.4).toFixed(1)}GiB`);
      if (gib + 2.4 > 26) L("WARNING", "code_assist.cache", `host memory ${(gib + 2.4).toFixed(1)}GiB is above 80% of the container limit (32GiB); no eviction policy configured`);
    }
    w.advance(4_000);
  }
  return { server: { current: w.text() } };
}

/** SDXL at 1024x1024 with batch 4 on a 24 GB L4: torch.OutOfMemoryError in the UNet. */
export function cudaOomLogs(prevStart: Date, curStart: Date) {
  const rand = rng(808);
  const boot = (w: LogWriter) => {
    const L = (lvl: string, msg: string) => w.line((d) => `${pyTime(d)} [${lvl}] image_gen: ${msg}`);
    L("INFO", "image-gen 1.4.2 (python 3.10.14, torch 2.3.1+cu121, diffusers 0.30.3, xformers 0.0.27)");
    L("INFO", "settings: model=stabilityai/stable-diffusion-xl-base-1.0 refiner=disabled max_batch=4 default_size=1024x1024 steps=30 vae_tiling=False");
    L("INFO", "output bucket s3://acme-creative-renders/sdxl/ region=eu-west-1 AWS_ACCESS_KEY_ID=AKIAZ4QX7TLMB2KD9RWE AWS_SECRET_ACCESS_KEY=q8Tn3Vx/2bLkR9wPz+Hj5cYmF7aD1sGe4uKo6NiW");
    w.line("Loading pipeline components...: 100%|██████████| 7/7 [00:04<00:00,  1.52it/s]");
    w.advance(4_700);
    L("INFO", "pipeline on cuda:0 (NVIDIA L4, 22.05 GiB total), torch.cuda.memory_allocated=6.94 GiB");
    w.line("INFO:     Started server process [1]");
    w.line("INFO:     Waiting for application startup.");
    w.line("INFO:     Application startup complete.");
    w.line("INFO:     Uvicorn running on http://0.0.0.0:7860 (Press CTRL+C to quit)");
  };
  const traffic = (w: LogWriter, seconds: number, batchAtEnd: boolean) => {
    const L = (lvl: string, msg: string) => w.line((d) => `${pyTime(d)} [${lvl}] image_gen: ${msg}`);
    for (let s = 0; s < seconds; s += 6) {
      const batch = batchAtEnd && s >= seconds - 6 ? 4 : pick(rand, [1, 1, 2]);
      const job = hex(rand, 12);
      L("INFO", `job=${job} prompt_len=${between(rand, 12, 77)} size=1024x1024 batch=${batch} steps=30 guidance=7.0`);
      if (!(batchAtEnd && s >= seconds - 6)) {
        for (const pct of [0, 33, 67, 100]) {
          const step = Math.round((pct / 100) * 30);
          w.line(`${String(pct).padStart(3)}%|${"█".repeat(Math.round(pct / 10)).padEnd(10)}| ${step}/30 [00:${String(Math.round(step * 0.21 * batch)).padStart(2, "0")}<00:${String(Math.round((30 - step) * 0.21 * batch)).padStart(2, "0")},  ${(4.7 / batch).toFixed(2)}it/s]`);
        }
        L("INFO", `job=${job} done in ${(6.4 * batch + rand()).toFixed(1)}s, uploaded ${batch} image(s); torch.cuda.max_memory_allocated=${(13.1 + batch * 1.6).toFixed(2)} GiB`);
        w.line(uvicornAccess(pick(rand, CLIENTS), between(rand, 32768, 60999), "POST", "/v1/generate", 200));
      }
      if (s % 12 === 0) w.line(uvicornAccess("10.0.8.1", between(rand, 40000, 59999), "GET", "/health", 200));
      w.advance(6_000);
    }
  };
  const prev = new LogWriter(prevStart);
  boot(prev);
  traffic(prev, 14 * 60, true);
  prev.line("  0%|          | 0/30 [00:00<?, ?it/s]");
  prev.line((d) => `${pyTime(d)} [ERROR] image_gen: job failed, shutting down worker: CUDA out of memory`);
  for (const l of [
    "Traceback (most recent call last):",
    '  File "/app/image_gen/worker.py", line 141, in run_job',
    "    images = self.pipe(prompt=[job.prompt] * job.batch, height=job.height, width=job.width,",
    "             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    '  File "/usr/local/lib/python3.10/site-packages/torch/utils/_contextlib.py", line 115, in decorate_context',
    "    return func(*args, **kwargs)",
    '  File "/usr/local/lib/python3.10/site-packages/diffusers/pipelines/stable_diffusion_xl/pipeline_stable_diffusion_xl.py", line 1174, in __call__',
    "    noise_pred = self.unet(",
    '  File "/usr/local/lib/python3.10/site-packages/torch/nn/modules/module.py", line 1532, in _wrapped_call_impl',
    "    return self._call_impl(*args, **kwargs)",
    '  File "/usr/local/lib/python3.10/site-packages/torch/nn/modules/module.py", line 1541, in _call_impl',
    "    return forward_call(*args, **kwargs)",
    '  File "/usr/local/lib/python3.10/site-packages/diffusers/models/unets/unet_2d_condition.py", line 1216, in forward',
    "    sample, res_samples = downsample_block(",
    '  File "/usr/local/lib/python3.10/site-packages/diffusers/models/unets/unet_2d_blocks.py", line 1288, in forward',
    "    hidden_states = attn(",
    '  File "/usr/local/lib/python3.10/site-packages/diffusers/models/attention_processor.py", line 2351, in __call__',
    "    attention_probs = attn.get_attention_scores(query, key, attention_mask)",
    '  File "/usr/local/lib/python3.10/site-packages/diffusers/models/attention_processor.py", line 676, in get_attention_scores',
    "    baddbmm_input = torch.empty(",
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 5.00 GiB. GPU 0 has a total capacity of 22.05 GiB of which 3.12 GiB is free. Process 1 has 18.92 GiB memory in use. Of the allocated memory 17.41 GiB is allocated by PyTorch, and 1.09 GiB is reserved by PyTorch but unallocated. If reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See documentation for Memory Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)",
  ]) {
    prev.line(l);
  }
  prev.line("INFO:     Shutting down");
  prev.line("INFO:     Waiting for application shutdown.");
  prev.line("INFO:     Application shutdown complete.");
  prev.line("INFO:     Finished server process [1]");
  const cur = new LogWriter(curStart);
  boot(cur);
  traffic(cur, 3 * 60, false);
  return {
    sdxl: { previous: prev.text(), current: cur.text() },
    "nginx-cache": {
      current: `/docker-entrypoint.sh: Configuration complete; ready for start up\n${curStart.toISOString().slice(0, 19).replace("T", " ").replace(/-/g, "/")} [notice] 1#1: nginx/1.27.2\n`,
    },
  };
}
