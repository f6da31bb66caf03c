import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { freePort } from "./alertmanager";

/**
 * Test harness around Debian's real `prometheus` server: series written as OpenMetrics with timestamps
 * relative to now, backfilled with `promtool tsdb create-blocks-from openmetrics` into a temporary
 * directory, and served on a free loopback port. Shared by the Prometheus tests and the benchmark.
 */

export const PROMETHEUS_BIN = "/usr/bin/prometheus";
export const PROMTOOL_BIN = "/usr/bin/promtool";

const run = promisify(execFile);

export interface OmSeries {
  name: string;
  type?: "gauge" | "counter";
  labels: Record<string, string>;
  /** [unix seconds, value]; a string value is written as is ("NaN", "+Inf"). */
  samples: Array<[number, number | string]>;
}

function omLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function omNumber(v: number | string): string {
  if (typeof v === "string") return v;
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** OpenMetrics text promtool accepts: one TYPE per family, each series' samples together in time order, `# EOF`. */
export function toOpenMetrics(series: OmSeries[]): string {
  const families = new Map<string, OmSeries[]>();
  for (const s of series) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(s.name)) throw new Error(`bad metric name ${s.name}`);
    const list = families.get(s.name) ?? [];
    list.push(s);
    families.set(s.name, list);
  }
  const lines: string[] = [];
  for (const [name, list] of families) {
    lines.push(`# TYPE ${name} ${list[0]?.type ?? "gauge"}`);
    for (const s of list) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${omLabelValue(v)}"`)
        .join(",");
      const head = labels ? `${name}{${labels}}` : name;
      for (const [t, v] of [...s.samples].sort((a, b) => a[0] - b[0])) lines.push(`${head} ${omNumber(v)} ${t}`);
    }
  }
  lines.push("# EOF");
  return lines.join("\n") + "\n";
}

export interface RunningPrometheus {
  url: string;
  port: number;
  dataDir: string;
  output(): string;
  stop(): Promise<void>;
}

async function waitReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`prometheus at ${url} not ready after ${timeoutMs} ms:\n${output()}`);
}

/**
 * Backfill `series` and start the real Prometheus over them on a free loopback port; waits for /-/ready.
 * `args` adds flags (e.g. `--query.max-samples=100`).
 */
export async function startPrometheus(series: OmSeries[], opts: { args?: string[] } = {}): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), "prom-test-"));
  const dataDir = join(dir, "data");
  try {
    const input = join(dir, "in.om");
    await writeFile(input, toOpenMetrics(series));
    await run(PROMTOOL_BIN, ["tsdb", "create-blocks-from", "openmetrics", input, dataDir], { maxBuffer: 16 * 1024 * 1024 });
    await writeFile(join(dir, "prometheus.yml"), "scrape_configs: []\n");
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${dataDir}`,
        "--storage.tsdb.retention.time=30d",
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
        ...(opts.args ?? []),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    const append = (b: Buffer) => {
      out = (out + b.toString()).slice(-20_000);
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    try {
      await waitReady(url, child, () => out, 30_000);
    } catch (e) {
      lastError = e;
      child.kill("SIGKILL");
      continue;
    }
    return {
      url,
      port,
      dataDir,
      output: () => out,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once("exit", r));
          child.kill("SIGTERM");
          const t = setTimeout(() => child.kill("SIGKILL"), 5000);
          await exited;
          clearTimeout(t);
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

export interface LoopbackProxy {
  url: string;
  /** Authorization headers seen, in order. */
  authorizations: Array<string | undefined>;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of `target`: waits `delayMs` before forwarding each request, and answers
 * 401 itself when `requireAuthorization` is set and the request does not carry exactly that header.
 */
export async function startProxy(target: string, opts: { delayMs?: number; requireAuthorization?: string } = {}): Promise<LoopbackProxy> {
  const upstream = new URL(target);
  const authorizations: Array<string | undefined> = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    if (opts.requireAuthorization !== undefined && req.headers.authorization !== opts.requireAuthorization) {
      req.resume();
      res.writeHead(401, { "content-type": "text/plain" }).end("Unauthorized\n");
      return;
    }
    const forward = () => {
      const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host };
      const up = request(
        { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers },
        (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
        },
      );
      up.on("error", () => res.destroy());
      req.pipe(up);
    };
    if (opts.delayMs) {
      req.pause();
      const t = setTimeout(() => {
        timers.delete(t);
        forward();
      }, opts.delayMs);
      timers.add(t);
    } else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    authorizations,
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
