import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import dockerignore from "@balena/dockerignore";
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

  it("copies the standalone server, static assets and public into the runtime stage", () => {
    const copies = runtime.filter((i) => i.op === "COPY").map((i) => i.args.replace(/--chown=\S+\s*/, ""));
    for (const want of [
      /^--from=\S+ \/app\/\.next\/standalone \.\/$/,
      /^--from=\S+ \/app\/\.next\/static \.\/\.next\/static$/,
      /^--from=\S+ \/app\/public \.\/public$/,
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

describe("the native SQLite module in the image", () => {
  const copySources = (stage: Instruction[]) =>
    stage.filter((i) => i.op === "COPY").flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith("--")).slice(0, -1));

  it("comes only as its compiled binary and JS, through the standalone output, never as sources", () => {
    // Whatever the runtime stage takes from node_modules must be a compiled binary, not a package folder
    // (better-sqlite3's holds SQLite's amalgamation and its C++ sources, about 10 MB).
    for (const src of copySources(runtime).filter((x) => x.includes("node_modules"))) expect(src, `COPY ${src}`).toMatch(/\.node$/);
    const buildStage = byStage.get("build") ?? [];
    const checks = buildStage.filter((i) => i.op === "RUN").map((i) => i.args).join("\n");
    expect(checks).toContain("test -f .next/standalone/node_modules/better-sqlite3/build/Release/better_sqlite3.node");
    expect(checks).toContain("test ! -e .next/standalone/node_modules/better-sqlite3/deps");
    expect(checks).toContain("test ! -e .next/standalone/node_modules/better-sqlite3/src");
  });

  // After `npx next build`, the folder the image copies is what Next's output tracing produced.
  const traced = join(ROOT, ".next", "standalone", "node_modules", "better-sqlite3");
  it.runIf(exists(traced))("is what Next's output tracing puts in .next/standalone", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [relative(traced, join(dir, e.name))]));
    const list = files(traced);
    expect(list).toContain("build/Release/better_sqlite3.node");
    expect(list).toContain("lib/index.js");
    expect(list.filter((f) => /\.(c|cc|cpp|h|hpp|gyp|gypi)$/.test(f) || f.startsWith("deps/") || f.startsWith("src/"))).toEqual([]);
    expect(list.filter((f) => f.endsWith(".node"))).toEqual(["build/Release/better_sqlite3.node"]);
  });
});

describe(".dockerignore", () => {
  const patterns = readFileSync(join(ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));

  // Docker's own matching rules: a bare pattern matches at the context root only, the last match wins.
  const ignored = dockerignore().add(patterns);

  it("keeps local state, build output, credentials, tests, benches and docs out of the build context", () => {
    for (const path of [
      "node_modules/next/package.json",
      ".next/cache/x",
      "data/triage.sqlite",
      "triage.sqlite-wal",
      ".git/HEAD",
      ".tmp/run/x.log",
      ".node/bin/node",
      "test-results/a.png",
      // Credentials, wherever they were left
      "kubeconfig",
      "deploy/kubernetes/kubeconfig",
      "ops/prod.kubeconfig",
      "kubeconfig-prod.yaml",
      ".kube/config",
      ".env",
      ".env.local",
      "deploy/.env.production",
      "secrets.env",
      "deploy/kubernetes/secrets.env",
      "deploy/kubernetes/triage-console-secret.yaml",
      "tls.key",
      "certs/server.pem",
      "certs/ca.crt",
      "keys/gcp-sa.json",
      ".npmrc",
      // Not part of the app
      "test/deploy/docker.test.ts",
      "test/fakes/kube-server.ts",
      "e2e/alerts.spec.ts",
      "e2e/screenshots/a.png",
      "bench/gather.bench.ts",
      "bench/results/x.json",
      "docs/screenshot.png",
      "README.md",
      "deploy/README.md",
      "vitest.config.mts",
    ]) {
      expect(ignored.ignores(path), `.dockerignore must exclude ${path}`).toBe(true);
    }
  });

  it("keeps every file the build reads", () => {
    for (const path of [
      "package.json",
      "package-lock.json",
      "next.config.ts",
      "tsconfig.json",
      "postcss.config.mjs",
      "proxy.ts",
      "instrumentation.ts",
      "instrumentation-node.ts",
      "app/page.tsx",
      "app/globals.css",
      "lib/config.ts",
      "lib/cluster/kube.ts",
      "components/ui/button.tsx",
      "cli/main.ts",
      "scripts/peer-address.mjs",
      "public/favicon.ico",
      ".env.example",
    ]) {
      expect(ignored.ignores(path), `.dockerignore must keep ${path}`).toBe(false);
    }
  });

  it("excludes no folder the build needs as a whole", () => {
    for (const p of patterns) {
      expect(p.startsWith("!") && p !== "!.env.example", `unexpected re-include ${p}`).toBe(false);
      for (const needed of ["package.json", "package-lock.json", "next.config.ts", "app", "lib", "components", "public", "scripts", "*", "**"]) {
        expect(p, `.dockerignore must not exclude ${needed}`).not.toBe(needed);
      }
    }
  });
});
