import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./helpers";

/**
 * The Dockerfile as data, for the structure checks (docker.test.ts) and for laying the image out by hand
 * (image-layout.ts): no Docker engine runs here. Handles what this Dockerfile uses: line continuations,
 * comments, `ENV A=1 B=2`, `COPY [--flags] src... dest`, JSON-form CMD.
 */

export interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
export function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const [op = "", ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

/** The instructions of each stage, by its `AS` name (FROM included). */
export function stages(all: Instruction[]): Map<string, Instruction[]> {
  const out = new Map<string, Instruction[]>();
  let current: Instruction[] | undefined;
  for (const i of all) {
    if (i.op === "FROM") {
      current = [];
      out.set(/\bAS\s+(\S+)/i.exec(i.args)?.[1] ?? `stage${out.size}`, current);
    }
    current?.push(i);
  }
  return out;
}

/** ENV instructions in both `ENV A=1 B=2` and legacy `ENV A 1` forms. */
export function envOf(stage: Instruction[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const i of stage.filter((x) => x.op === "ENV")) {
    const pairs = [...i.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)];
    if (pairs.length) for (const [, k = "", v = ""] of pairs) env.set(k, v.replace(/^"|"$/g, ""));
    else {
      const [k = "", ...v] = i.args.split(/\s+/);
      env.set(k, v.join(" "));
    }
  }
  return env;
}

export interface Copy {
  /** The stage named by --from, or undefined for the build context. */
  from?: string;
  chown?: string;
  sources: string[];
  dest: string;
}

/** A COPY instruction's flags, sources and destination (shell form). */
export function parseCopy(i: Instruction): Copy {
  const words = i.args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith("--"));
  const paths = words.filter((w) => !w.startsWith("--"));
  const flag = (name: string) => flags.find((f) => f.startsWith(`--${name}=`))?.slice(name.length + 3);
  if (paths.length < 2 || paths[0]?.startsWith("[")) throw new Error(`COPY ${i.args}: expected the shell form "COPY [--flags] src... dest"`);
  return { from: flag("from"), chown: flag("chown"), sources: paths.slice(0, -1), dest: paths.at(-1) ?? "" };
}

/** The WORKDIR in force at instruction `index` of a stage (Docker's default is /). */
export function workdirAt(stage: Instruction[], index: number): string {
  let dir = "/";
  for (const i of stage.slice(0, index + 1)) if (i.op === "WORKDIR") dir = i.args.startsWith("/") ? i.args : join(dir, i.args);
  return dir;
}

/** A JSON-form (exec) CMD or HEALTHCHECK CMD as argv. */
export function execForm(args: string): string[] {
  const argv: unknown = JSON.parse(args);
  if (!Array.isArray(argv) || !argv.every((a): a is string => typeof a === "string")) throw new Error(`expected a JSON array of strings, got ${args}`);
  return argv;
}

export const DOCKERFILE = join(ROOT, "Dockerfile");

/** The project's Dockerfile: its text, instructions, stages by name and the runtime (last) stage. */
export function readDockerfile(path = DOCKERFILE) {
  const text = readFileSync(path, "utf8");
  const all = instructions(text);
  const byStage = stages(all);
  const runtime = [...byStage.values()].at(-1) ?? [];
  return { text, all, byStage, runtime };
}
