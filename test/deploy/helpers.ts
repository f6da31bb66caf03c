import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

export const ROOT = join(import.meta.dirname, "..", "..");
export const DEPLOY = join(ROOT, "deploy");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a program without a shell and collect its exit code and output (a missing binary says how to install it). */
export function run(cmd: string, args: string[], cwd = ROOT): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && "code" in err && err.code === "ENOENT") {
        reject(new Error(`${cmd} not found: sudo apt-get install -y prometheus prometheus-alertmanager (see scripts/test.sh)`));
        return;
      }
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every document of a YAML file (multi-document files give several), as plain values. */
export function readYamlDocs(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, "utf8")).map((d) => {
    if (d.errors.length) throw new Error(`${path}: ${d.errors[0]?.message}`);
    return d.toJS();
  });
}

/** The environment variable names lib/config.ts's schema reads, taken from the file's text. */
export function configEnvNames(): Set<string> {
  const text = readFileSync(join(ROOT, "lib", "config.ts"), "utf8");
  const start = text.indexOf("const envSchema = z");
  const body = start >= 0 ? text.slice(start, text.indexOf("\n  })", start)) : "";
  const names = new Set([...body.matchAll(/^ {4}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1] ?? ""));
  if (names.size < 10) throw new Error("could not find the env schema in lib/config.ts; update configEnvNames()");
  return names;
}

export function exists(path: string): boolean {
  return existsSync(path);
}
