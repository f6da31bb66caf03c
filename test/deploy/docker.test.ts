import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configEnvNames, exists, ROOT } from "./helpers";

// No Docker engine runs here, so this checks the Dockerfile's structure; the lead's standalone-server
// test covers what the image runs.

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
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

/** The instructions of each stage, by its `AS` name. */
function stages(all: Instruction[]): Map<string, Instruction[]> {
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
function envOf(stage: Instruction[]): Map<string, string> {
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

const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
const all = instructions(dockerfile);
const byStage = stages(all);
const stageList = [...byStage.values()];
const runtime = stageList.at(-1) ?? [];
const nodeImage = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1] ?? "";

describe("Dockerfile", () => {
  it("builds every stage on one Node LTS slim base", () => {
    expect(nodeImage).toMatch(/^node:24(\.\d+\.\d+)?-(bookworm|trixie)-slim$/);
    const froms = all.filter((i) => i.op === "FROM").map((i) => i.args.split(/\s+/)[0]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toBe("${NODE_IMAGE}");
  });

  it("installs with npm ci and the native toolchain, then runs next build", () => {
    const runs = all.filter((i) => i.op === "RUN").map((i) => i.args);
    const ci = runs.findIndex((r) => /\bnpm ci\b/.test(r));
    const toolchain = runs.findIndex((r) => /apt-get install/.test(r) && /\bpython3\b/.test(r) && /\bmake\b/.test(r) && /\bg\+\+/.test(r));
    const build = runs.findIndex((r) => /\bnext build\b/.test(r));
    expect(toolchain).toBeGreaterThanOrEqual(0);
    expect(ci).toBeGreaterThan(toolchain);
    expect(build).toBeGreaterThan(ci);
    expect(readFileSync(join(ROOT, "next.config.ts"), "utf8")).toMatch(/output:\s*"standalone"/);
  });

  it("copies the standalone server, static assets, public and the native SQLite module into the runtime stage", () => {
    const copies = runtime.filter((i) => i.op === "COPY").map((i) => i.args.replace(/--chown=\S+\s*/, ""));
    for (const want of [
      /^--from=\S+ \/app\/\.next\/standalone \.\/$/,
      /^--from=\S+ \/app\/\.next\/static \.\/\.next\/static$/,
      /^--from=\S+ \/app\/public \.\/public$/,
      /^--from=\S+ \/app\/node_modules\/better-sqlite3 \.\/node_modules\/better-sqlite3$/,
      /^--from=\S+ \/app\/scripts\/peer-address\.mjs \.\/scripts\/peer-address\.mjs$/,
    ]) {
      expect(copies.some((c) => want.test(c)), String(want)).toBe(true);
    }
    expect(exists(join(ROOT, "scripts", "peer-address.mjs"))).toBe(true);
    // No build tools or full node_modules in the runtime image.
    expect(runtime.some((i) => i.op === "RUN" && /apt-get install/.test(i.args))).toBe(false);
    expect(copies.some((c) => /\/app\/node_modules \.\/node_modules$/.test(c))).toBe(false);
  });

  it("runs server.js as a non-root user on 0.0.0.0:3000 with the peer-address hook", () => {
    const users = runtime.filter((i) => i.op === "USER").map((i) => i.args);
    expect(users).toHaveLength(1);
    const user = (users[0] ?? "").split(":")[0] ?? "";
    expect(["root", "0", ""]).not.toContain(user);
    expect(user === "node" || Number(user) >= 1000).toBe(true);
    expect(runtime.filter((i) => i.op === "EXPOSE").map((i) => i.args)).toEqual(["3000"]);

    const cmd = runtime.filter((i) => i.op === "CMD").at(-1)?.args ?? "";
    const argv: unknown = JSON.parse(cmd);
    expect(argv).toEqual(["node", "--import", "./scripts/peer-address.mjs", "server.js"]);

    const env = envOf(runtime);
    expect(env.get("HOST")).toBe("0.0.0.0");
    expect(env.get("HOSTNAME")).toBe("0.0.0.0");
    expect(env.get("PORT")).toBe("3000");
    // Listening on 0.0.0.0 with AUTH_MODE=none would serve the console to anyone.
    expect(env.get("AUTH_MODE")).toMatch(/^(proxy|token)$/);
    for (const secret of ["GEMINI_API_KEY", "GITHUB_TOKEN", "WEBHOOK_BEARER_TOKEN", "AUTH_TOKEN"]) expect(env.has(secret)).toBe(false);
    const known = configEnvNames();
    for (const name of env.keys()) expect(known.has(name) || ["HOSTNAME", "NEXT_TELEMETRY_DISABLED"].includes(name), name).toBe(true);
  });
});

describe(".dockerignore", () => {
  const patterns = readFileSync(join(ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));

  it("keeps local state, secrets and build output out of the build context", () => {
    for (const p of ["node_modules", ".node", ".next", "data", ".git", "test-results", "e2e/screenshots", ".env*"]) expect(patterns).toContain(p);
  });

  it("keeps everything the build needs", () => {
    for (const p of patterns) {
      expect(p.startsWith("!")).toBe(false);
      for (const needed of ["package.json", "package-lock.json", "next.config.ts", "app", "lib", "components", "public", "scripts", "*", "**"]) {
        expect(p, `.dockerignore must not exclude ${needed}`).not.toBe(needed);
      }
    }
  });
});
