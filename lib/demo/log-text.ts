/**
 * Line formats the demo logs are written in, as the runtimes print them: Python logging, uvicorn,
 * vLLM.
 */

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** Python logging's default asctime: `2026-11-20 10:01:02,123`. */
export function pyTime(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())},${pad(d.getUTCMilliseconds(), 3)}`;
}

/** vLLM's logger time: `11-20 10:01:02`. */
export function vllmTime(d: Date): string {
  return `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

const phrases: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** A uvicorn access-log line. */
export function uvicornAccess(ip: string, port: number, method: string, path: string, status: number): string {
  return `INFO:     ${ip}:${port} - "${method} ${path} HTTP/1.1" ${status} ${phrases[status] ?? ""}`.trimEnd();
}

/** Pick from a list with a PRNG. */
export function pick<T>(rand: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rand() * items.length)];
  if (item === undefined) throw new Error("pick from an empty list");
  return item;
}

export function between(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

/** Emits lines at advancing times: `log.at(t)` moves the clock, `log.line(text)` appends. */
export class LogWriter {
  readonly lines: string[] = [];
  private t: number;
  constructor(start: Date) {
    this.t = start.getTime();
  }
  get now(): Date {
    return new Date(this.t);
  }
  /** Move the clock to an absolute time (epoch milliseconds). */
  to(ms: number): this {
    this.t = ms;
    return this;
  }
  advance(ms: number): this {
    this.t += ms;
    return this;
  }
  line(text: string | ((now: Date) => string)): this {
    this.lines.push(typeof text === "string" ? text : text(this.now));
    return this;
  }
  text(): string {
    return this.lines.join("\n") + "\n";
  }
}
