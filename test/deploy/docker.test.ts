import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import dockerignore from "@balena/dockerignore";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { envOf, parseCopy, readDockerfile, type Instruction } from "./dockerfile";
import { configEnvNames, exists, ROOT } from "./helpers";

// No Docker engine runs here, so this checks the Dockerfile's structure; image.test.ts lays the image out
// from it and runs what it would run.

const { text: dockerfile, all, byStage, runtime } = readDockerfile();
const nodeImage = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1] ?? "";

describe("Dockerfile", () => {
  it("builds every stage on one Node LTS slim base", () => {
    expect(nodeImage).toMatch(/^node:24(\.\d+\.\d+)?-(bookworm|trixie)-slim$/);
    const froms = all.filter((i) => i.op === "FROM").map((i) => i.args.split(/\s+/)[0]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toBe("${NODE_IMAGE}");
  });

  it("installs with npm ci without a compiler toolchain, running only the lockfile's install scripts it needs, then runs next build", () => {
    const runs = all.filter((i) => i.op === "RUN").map((i) => i.args);
    const ci = runs.findIndex((r) => /\bnpm ci\b/.test(r));
    const build = runs.findIndex((r) => /\bnext build\b/.test(r));
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(build).toBeGreaterThan(ci);
    expect(readFileSync(join(ROOT, "next.config.ts"), "utf8")).toMatch(/output:\s*"standalone"/);
    // better-sqlite3 ships prebuilt binaries; npm's implicit `node-gyp rebuild` for its binding.gyp would
    // need python3 and make, so install scripts are skipped and the others run by name.
    expect(runs.some((r) => /apt-get|apk add|\bg\+\+|python3/.test(r))).toBe(false);
    expect(runs[ci]).toMatch(/\bnpm ci\b[^&]*--ignore-scripts/);
    const rebuilt = (/\bnpm rebuild((?:\s+[\w@./-]+)+)/.exec(runs[ci] ?? "")?.[1] ?? "").trim().split(/\s+/).filter(Boolean).sort();
    const lock = z
      .object({ packages: z.record(z.string(), z.object({ hasInstallScript: z.boolean().optional() }).passthrough()) })
      .parse(JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")));
    const withScripts = Object.entries(lock.packages)
      .filter(([path, p]) => path && p.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length));
    expect(withScripts).toContain("better-sqlite3");
    expect(rebuilt).toEqual([...new Set(withScripts.filter((n) => n !== "better-sqlite3"))].sort());
  });

  it("copies the standalone server, static assets and public into the runtime stage", () => {
    const copies = runtime.filter((i) => i.op === "COPY").map((i) => i.args);
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
    // The application belongs to root: the user it runs as cannot change its own code.
    for (const c of runtime.filter((i) => i.op === "COPY").map(parseCopy)) expect(c.chown, `COPY ${c.sources.join(" ")} --chown`).toBeUndefined();
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
    // The build stage keeps the one prebuilt binary for glibc Linux on the build's CPU, drops the sources
    // and checks that the module loads (image.test.ts runs these steps).
    const buildStage = byStage.get("build") ?? [];
    const checks = buildStage.filter((i) => i.op === "RUN").map((i) => i.args).join("\n");
    expect(checks).toContain('binary="prebuilds/linux-$(node -p process.arch).node"');
    expect(checks).toContain('test -f "$binary"');
    expect(checks).toMatch(/rm -rf build deps src\b/);
    expect(checks).toContain("require('better-sqlite3')");
  });

  // After `npx next build`, the folder the image copies is what Next's output tracing produced.
  const traced = join(ROOT, ".next", "standalone", "node_modules", "better-sqlite3");
  it.runIf(exists(traced))("is what Next's output tracing puts in .next/standalone: JS and prebuilt binaries, no sources", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [relative(traced, join(dir, e.name))]));
    const list = files(traced);
    expect(list).toContain(`prebuilds/linux-${process.arch}.node`);
    expect(list).toContain("lib/index.js");
    expect(list.filter((f) => /\.(c|cc|cpp|h|hpp|gyp|gypi)$/.test(f) || f.startsWith("deps/") || f.startsWith("src/"))).toEqual([]);
    expect(list.filter((f) => f.endsWith(".node") && !f.startsWith("prebuilds/"))).toEqual([]);
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
