import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, cpSync, existsSync, linkSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import dockerignore from "@balena/dockerignore";
import { z } from "zod";
import { execForm, parseCopy, readDockerfile, workdirAt, envOf, type Instruction } from "./dockerfile";
import { DEPLOY, readYamlDocs, ROOT } from "./helpers";

/**
 * The container image laid out by hand, for a machine with a docker client but no engine: the runtime
 * stage's files, user, environment and command, taken from the Dockerfile, with the Deployment's
 * settings and writable mounts, taken from deploy/kubernetes/deployment.yaml.
 *
 * - The build stage's /app is the build context (.dockerignore applied) plus the production build in
 *   .next (what `npx next build` made; ensureProductionBuild() first). The build stage's RUN steps from the
 *   one that runs `next build` onwards (the checks and the pruning of the standalone output) are run
 *   there with /bin/sh, `npx next build` standing for the build already made.
 * - Each runtime COPY is applied as Docker applies it; a source the build stage lacks, or one
 *   .dockerignore keeps out of the context, is an error.
 * - The application directory is then made read-only (owned by root, no write bit anywhere), as
 *   readOnlyRootFilesystem makes it in the cluster; the Deployment's writable volume mounts (the data
 *   volume, /tmp, .next/cache) are directories the image's user owns. Read-only mounts (the service
 *   account token) are left out: the test reaches its fake cluster through a kubeconfig instead.
 * - The command runs as the image's USER when the test runs as root (as it does here), otherwise as the
 *   user running the test, with the Node given (the project's Node 24, the image's major version),
 *   linked into <root>/usr/local/bin as the image has it.
 */

export interface LayoutOptions {
  /** The Node to run the image's `node` with. */
  node: string;
  /** Values for the Deployment's secretKeyRef variables, by key (e.g. webhook-bearer-token). */
  secrets: Record<string, string>;
  /** Settings replacing the image's and the Deployment's (loopback addresses, the fakes), as given. */
  overrides: Record<string, string>;
  dockerfile?: string;
  deployment?: string;
}

export interface ImageLayout {
  root: string;
  /** The runtime stage's WORKDIR (/app in the image). */
  app: string;
  /** Writable mounts: the Deployment's mountPath -> the directory standing for it. */
  mounts: Map<string, string>;
  uid: number;
  gid: number;
  /** The process environment: the image's ENV, then the Deployment's env, then the overrides. */
  env: NodeJS.ProcessEnv;
  /** The image's CMD, `node` resolved to the linked Node. */
  cmd: string[];
  /** The HEALTHCHECK command, likewise. */
  healthcheck?: string[];
  remove(): void;
}

const envVarSchema = z.object({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z
    .object({ secretKeyRef: z.object({ name: z.string(), key: z.string(), optional: z.boolean().optional() }).optional() })
    .passthrough()
    .optional(),
});
const containerSchema = z.object({
  name: z.string(),
  env: z.array(envVarSchema).default([]),
  volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string(), readOnly: z.boolean().optional() })).default([]),
  securityContext: z.object({ runAsUser: z.number().optional(), runAsGroup: z.number().optional(), readOnlyRootFilesystem: z.boolean().optional() }).passthrough().optional(),
});
const deploymentSchema = z.object({
  kind: z.literal("Deployment"),
  spec: z.object({ template: z.object({ spec: z.object({ containers: z.array(containerSchema).min(1) }).passthrough() }) }),
});

/** The console container of deploy/kubernetes/deployment.yaml. */
export function consoleContainer(path = join(DEPLOY, "kubernetes", "deployment.yaml")) {
  const deployment = readYamlDocs(path)
    .map((d) => deploymentSchema.safeParse(d))
    .find((r) => r.success)?.data;
  if (!deployment) throw new Error(`${path}: no Deployment with containers`);
  const containers = deployment.spec.template.spec.containers;
  const found = containers.find((c) => c.name === "console") ?? containers[0];
  if (!found) throw new Error(`${path}: the Deployment has no container`);
  return found;
}

function walk(dir: string, visit: (path: string, isDir: boolean) => void): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, visit);
    visit(path, entry.isDirectory());
  }
}

/** Copy the build context as `COPY . .` sees it: every file .dockerignore keeps. */
function copyContext(to: string, ignored: (rel: string) => boolean): void {
  const copyDir = (rel: string) => {
    for (const entry of readdirSync(join(ROOT, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (ignored(r)) continue;
      if (entry.isDirectory()) copyDir(r);
      else {
        mkdirSync(dirname(join(to, r)), { recursive: true });
        cpSync(join(ROOT, r), join(to, r), { verbatimSymlinks: true });
      }
    }
  };
  copyDir("");
}

/**
 * Copy a file, or a folder's contents into a folder (made if missing), keeping symlinks and modes: `cp -a`,
 * several times faster than fs.cpSync here. `link` hard-links instead (for the staged build stage, which
 * is deleted afterwards; never for files of the working tree, whose modes would change with the image's).
 */
function lstatSafe(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function copyTree(from: string, to: string, link = false): void {
  const dir = lstatSync(from).isDirectory();
  if (dir) mkdirSync(to, { recursive: true });
  const r = spawnSync("cp", [link ? "-al" : "-a", "--", dir ? `${from}/.` : from, to], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`cp -a ${from} ${to}: ${r.stderr || r.error?.message}`);
}

/** The `npx next build` RUN and those after it in a stage, as they would run. */
function buildSteps(stage: Instruction[]): string[] {
  const runs = stage.filter((i) => i.op === "RUN").map((i) => i.args);
  const at = runs.findIndex((r) => /\bnext build\b/.test(r));
  if (at < 0) throw new Error("the build stage has no RUN with `next build`");
  return runs.slice(at).map((r) => r.replace(/\bnpx next build\b/, ":"));
}

function makeReadOnly(dir: string): void {
  const fix = (path: string, isDir: boolean) => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    chmodSync(path, isDir ? 0o555 : st.mode & 0o555);
  };
  walk(dir, fix);
  fix(dir, true);
}

/** Lay the image out in a new temporary directory. @throws Error naming the instruction that cannot be applied. */
export function layOutImage(opts: LayoutOptions): ImageLayout {
  const docker = readDockerfile(opts.dockerfile);
  const ignore = dockerignore().add(
    readFileSync(join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#")),
  );
  const ignored = (rel: string) => ignore.ignores(rel);
  const container = consoleContainer(opts.deployment);

  const root = mkdtempSync(join(tmpdir(), "image-"));
  // The image's user must be able to reach /app and its mounts.
  chmodSync(root, 0o755);
  const remove = () => {
    // Without root, the owner needs its write bits back to delete.
    if (process.getuid?.() !== 0 && existsSync(root)) walk(root, (p, isDir) => isDir && chmodSync(p, 0o755));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    // Stages the runtime copies from, as their WORKDIR looks after the build.
    const built = new Map<string, { dir: string; workdir: string }>();
    const stageDir = (name: string) => {
      const have = built.get(name);
      if (have) return have;
      const stage = docker.byStage.get(name);
      if (!stage) throw new Error(`COPY --from=${name}: no stage of that name in the Dockerfile`);
      const dir = join(root, "stages", name);
      mkdirSync(dir, { recursive: true });
      for (const [i, ins] of stage.entries()) {
        if (ins.op !== "COPY") continue;
        const c = parseCopy(ins);
        if (c.from) continue; // node_modules from the deps stage: the build output below already traced what it needs
        if (c.sources.length !== 1 || c.sources[0] !== "." || c.dest !== ".") throw new Error(`${name} stage: only "COPY . ." from the context is laid out, not COPY ${ins.args}`);
        if (workdirAt(stage, i) === "/") throw new Error(`${name} stage copies the context before a WORKDIR`);
        copyContext(dir, ignored);
      }
      // What `next build` wrote, then the stage's own steps from the build on.
      // (the parts of it the Dockerfile names, or all but the build cache if it copies .next whole: 89 MB
      // of the 135 MB are the standalone folder, and copying costs seconds on a busy machine).
      mkdirSync(join(dir, ".next"));
      const whole = /\.next(\/)?(\s|$)/.test(docker.all.filter((x) => x.op === "COPY" || x.op === "RUN").map((x) => x.args).join("\n"));
      for (const entry of readdirSync(join(ROOT, ".next"))) {
        if (entry !== "cache" && (whole || docker.text.includes(`.next/${entry}`))) copyTree(join(ROOT, ".next", entry), join(dir, ".next", entry));
      }
      // `npm start` links .next/static and public into the standalone folder of a local build; `next build`
      // in the image makes no such links, so they are not part of what the build stage holds.
      for (const link of ["standalone/.next/static", "standalone/public"]) {
        const path = join(dir, ".next", link);
        if (existsSync(dirname(path)) && lstatSafe(path)?.isSymbolicLink()) rmSync(path);
      }
      const env: Record<string, string> = { ...Object.fromEntries(envOf(stage)), PATH: `${dirname(opts.node)}:/usr/bin:/bin`, HOME: join(dir, ".home") };
      for (const cmd of buildSteps(stage)) {
        const r = spawnSync("/bin/sh", ["-c", cmd], { cwd: dir, env: env as NodeJS.ProcessEnv, encoding: "utf8" });
        if (r.status !== 0) throw new Error(`Dockerfile, ${name} stage: RUN ${cmd}\nexited with ${r.status}:\n${r.stdout}${r.stderr}`);
      }
      const out = { dir, workdir: workdirAt(stage, stage.length - 1) };
      built.set(name, out);
      return out;
    };

    const runtime = docker.runtime;
    const workdir = workdirAt(runtime, runtime.length - 1);
    const app = join(root, workdir);
    mkdirSync(app, { recursive: true });
    const inImage = (path: string, wd: string) => join(root, posix.isAbsolute(path) ? path : posix.join(wd, path));
    for (const [i, ins] of runtime.entries()) {
      if (ins.op !== "COPY") continue;
      const c = parseCopy(ins);
      const dest = inImage(c.dest, workdirAt(runtime, i));
      for (const src of c.sources) {
        let from: string;
        if (c.from) {
          const stage = stageDir(c.from);
          const rel = posix.relative(stage.workdir, src);
          if (!posix.isAbsolute(src) || rel.startsWith("..")) throw new Error(`COPY ${ins.args}: ${src} is outside the ${c.from} stage's WORKDIR ${stage.workdir}`);
          from = join(stage.dir, rel);
          if (!existsSync(from)) throw new Error(`COPY ${ins.args}: the ${c.from} stage has no ${src}`);
        } else {
          if (ignored(src)) throw new Error(`COPY ${ins.args}: .dockerignore keeps ${src} out of the build context`);
          from = join(ROOT, src);
          if (!existsSync(from)) throw new Error(`COPY ${ins.args}: the build context has no ${src}`);
        }
        // A folder's contents go into dest; a file becomes dest, or goes into it when dest ends in "/".
        const target = lstatSync(from).isDirectory() || !c.dest.endsWith("/") ? dest : join(dest, posix.basename(src));
        mkdirSync(dirname(target), { recursive: true });
        copyTree(from, target, Boolean(c.from));
      }
    }
    rmSync(join(root, "stages"), { recursive: true, force: true });
    // readOnlyRootFilesystem: nothing in the image is writable; root owns it all (the test runs as root).
    makeReadOnly(app);

    // The user: the Deployment's runAsUser, which must be the image's USER.
    const user = runtime.filter((x) => x.op === "USER").at(-1)?.args ?? "";
    const [imageUid, imageGid] = user.split(":").map(Number);
    if (imageUid === undefined || !Number.isInteger(imageUid) || imageUid === 0) throw new Error(`Dockerfile USER ${user}: expected a numeric non-root uid[:gid]`);
    const sc = container.securityContext;
    if (sc?.runAsUser !== undefined && sc.runAsUser !== imageUid) throw new Error(`deployment runAsUser ${sc.runAsUser} differs from the Dockerfile's USER ${user}`);
    const asRoot = process.getuid?.() === 0;
    const uid = asRoot ? imageUid : (process.getuid?.() ?? imageUid);
    const gid = asRoot ? (sc?.runAsGroup ?? imageGid ?? imageUid) : (process.getgid?.() ?? imageUid);

    // The Deployment's writable mounts: emptyDirs and the data volume, owned by the user (fsGroup).
    const mounts = new Map<string, string>();
    for (const m of container.volumeMounts) {
      if (m.readOnly) continue;
      const dir = join(root, m.mountPath);
      mkdirSync(dir, { recursive: true });
      chownSync(dir, uid, gid);
      chmodSync(dir, 0o770);
      mounts.set(m.mountPath, dir);
    }

    // Node where the image has it (a hard link when the file system allows).
    const bin = join(root, "usr", "local", "bin");
    mkdirSync(bin, { recursive: true });
    try {
      linkSync(opts.node, join(bin, "node"));
    } catch {
      copyFileSync(opts.node, join(bin, "node"));
      chmodSync(join(bin, "node"), 0o755);
    }
    const resolveNode = (argv: string[]) => (argv[0] === "node" ? [join(bin, "node"), ...argv.slice(1)] : argv);

    // A path the image names (/data/triage.sqlite) means the directory standing for its mount.
    // One pass, longest mount first: a replaced path must not be matched again (/data -> /tmp/image-x/data).
    const mountPaths = [...mounts.keys()].sort((a, b) => b.length - a.length);
    const escape = (p: string) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const mountRe = new RegExp(`(^|[:=,\\s])(${mountPaths.map(escape).join("|")})(?=/|$)`, "g");
    const mapPaths = (value: string) => (mountPaths.length ? value.replace(mountRe, (_, pre: string, p: string) => pre + (mounts.get(p) ?? p)) : value);
    const env: Record<string, string> = {
      // What the node image and the passwd entry give: no home directory exists.
      PATH: `${bin}:/usr/bin:/bin`,
      HOME: join(root, "home", "triage"),
    };
    for (const [k, v] of envOf(runtime)) env[k] = mapPaths(v);
    // TMPDIR is where os.tmpdir() points; the Deployment mounts an emptyDir at /tmp.
    const tmp = mounts.get("/tmp");
    if (tmp) env.TMPDIR = tmp;
    for (const e of container.env) {
      if (e.value !== undefined) env[e.name] = mapPaths(e.value);
      else if (e.valueFrom?.secretKeyRef) {
        const { key, optional } = e.valueFrom.secretKeyRef;
        const v = opts.secrets[key];
        if (v !== undefined) env[e.name] = v;
        else if (!optional) throw new Error(`deployment env ${e.name} needs secret key ${key}; give it in secrets`);
      } else throw new Error(`deployment env ${e.name}: only value and secretKeyRef are laid out`);
    }
    Object.assign(env, opts.overrides);

    const cmd = runtime.filter((x) => x.op === "CMD").at(-1);
    if (!cmd) throw new Error("the runtime stage has no CMD");
    const hc = runtime.filter((x) => x.op === "HEALTHCHECK").at(-1);
    const hcCmd = hc && /\bCMD\s+(\[.*\])\s*$/.exec(hc.args)?.[1];
    // (ProcessEnv as Next types it: NODE_ENV comes from the image's ENV.)
    return { root, app, mounts, uid, gid, env: env as NodeJS.ProcessEnv, cmd: resolveNode(execForm(cmd.args)), healthcheck: hcCmd ? resolveNode(execForm(hcCmd)) : undefined, remove };
  } catch (e) {
    remove();
    throw e;
  }
}
