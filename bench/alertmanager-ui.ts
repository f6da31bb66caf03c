/**
 * Alertmanager's own web UI for the side-by-side in the alerts bench. Debian's binary is built without
 * it (it serves a "no UI" page from --web.ui-path), but Debian's golang-github-prometheus-alertmanager-dev
 * carries the same release's upstream source, including asset/assets_vfsdata.go: the compiled Elm UI
 * that upstream embeds in its binary, as gzip'd Go byte strings. This unpacks those files into a folder
 * the binary serves with --web.ui-path. The package is fetched with `apt-get download` (no root needed)
 * when it is not installed.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";

const PACKAGE = "golang-github-prometheus-alertmanager-dev";
const VFSDATA = "usr/share/gocode/src/github.com/prometheus/alertmanager/asset/assets_vfsdata.go";
const run = promisify(execFile);

/** Decode the body of a Go interpreted string literal (what vfsgen writes) into bytes. */
export function decodeGoString(body: string): Buffer {
  const out: number[] = [];
  const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92, '"': 34, "'": 39 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? "";
    if (c !== "\\") {
      out.push(...Buffer.from(c, "utf8"));
      continue;
    }
    const e = body[++i] ?? "";
    if (e === "x") {
      out.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (e >= "0" && e <= "7") {
      out.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else if (e === "u" || e === "U") {
      const n = e === "u" ? 4 : 8;
      out.push(...Buffer.from(String.fromCodePoint(parseInt(body.slice(i + 1, i + 1 + n), 16)), "utf8"));
      i += n;
    } else if (e in simple) out.push(simple[e] ?? 0);
    else throw new Error(`unknown escape \\${e} in a Go string literal`);
  }
  return Buffer.from(out);
}

/** The files of vfsgen output under `prefix`, as path (relative to prefix) -> content. */
export function filesFromVfsdata(source: string, prefix = "/static/"): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const entry = /^\t\t"([^"]+)": &vfsgen۰(CompressedFileInfo|FileInfo)\{\n([\s\S]*?)^\t\t\},$/gm;
  for (const m of source.matchAll(entry)) {
    const [, path = "", kind, fields = ""] = m;
    if (!path.startsWith(prefix)) continue;
    const literal = /(?:compressedContent|content): \[\]byte\("((?:[^"\\]|\\.)*)"\)/.exec(fields)?.[1];
    if (literal === undefined) throw new Error(`no content for ${path} in the vfsgen data`);
    const bytes = decodeGoString(literal);
    files.set(path.slice(prefix.length), kind === "CompressedFileInfo" ? gunzipSync(bytes) : bytes);
  }
  return files;
}

async function findVfsdata(): Promise<{ file: string; cleanup?: () => Promise<void> }> {
  const installed = `/${VFSDATA}`;
  if (existsSync(installed)) return { file: installed };
  const dir = await mkdtemp(join(tmpdir(), "am-ui-deb-"));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await run("apt-get", ["download", PACKAGE], { cwd: dir, timeout: 120_000 });
    const deb = (await readdir(dir)).find((f) => f.endsWith(".deb"));
    if (!deb) throw new Error("apt-get download wrote no .deb");
    await run("dpkg-deb", ["-x", join(dir, deb), join(dir, "root")]);
    return { file: join(dir, "root", VFSDATA), cleanup };
  } catch (e) {
    await cleanup();
    throw new Error(`could not fetch ${PACKAGE} with apt-get download (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`);
  }
}

/**
 * A folder holding Alertmanager's own UI, for `--web.ui-path` (cached under the temp folder by content).
 * @throws Error saying what is missing when the package cannot be found or fetched.
 */
export async function alertmanagerUiDir(): Promise<string> {
  const { file, cleanup } = await findVfsdata();
  try {
    const source = await readFile(file, "utf8");
    const dir = join(tmpdir(), `triage-am-ui-${createHash("sha256").update(source).digest("hex").slice(0, 12)}`);
    if (existsSync(join(dir, "script.js"))) return dir;
    const files = filesFromVfsdata(source);
    if (!files.has("index.html") || !files.has("script.js")) throw new Error(`${file} holds no index.html and script.js under /static/`);
    const staging = `${dir}.${process.pid}`;
    for (const [path, content] of files) {
      await mkdir(dirname(join(staging, path)), { recursive: true });
      await writeFile(join(staging, path), content);
    }
    await rm(dir, { recursive: true, force: true });
    await run("mv", [staging, dir]);
    return dir;
  } finally {
    await cleanup?.();
  }
}
