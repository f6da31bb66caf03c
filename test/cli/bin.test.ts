import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { z } from "zod";

/** The installed `triage` bin (the bundle in dist/cli, built when missing or stale) answers like a CLI. */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "production" as const };
const { version } = z.object({ version: z.string() }).parse(JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")));

describe("the triage bin", () => {
  it("--version prints the package version", async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["cli/bin.mjs", "--version"], { cwd: ROOT, env, timeout: 60_000 });
    expect(stdout).toBe(`triage ${version}\n`);
    expect(stderr).toBe("");
  });

  it("--help lists every command", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["cli/bin.mjs", "--help"], { cwd: ROOT, env, timeout: 60_000 });
    for (const command of ["analyze", "diagnose", "reduce", "redact", "bundle"]) expect(stdout).toMatch(new RegExp(`^  ${command} `, "m"));
  });
});
