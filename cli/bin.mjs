#!/usr/bin/env node
// The `triage` command. It runs the prebuilt bundle in dist/cli (made by `npm ci` and `npm run build`),
// so a call starts in plain Node without compiling TypeScript. The project runs on Node 24: started by an
// older node (the machine's own), it hands itself to scripts/node, which runs Node 24, so better-sqlite3
// loads in the Node it was built for.
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { NODE_MAJOR } from "../scripts/node-version.mjs";

/** The CLI's module: the bundle, rebuilt first when missing or older than a source; else the sources through tsx. */
async function loadCli() {
  const { ENTRY, buildCli, isFresh } = await import("./build.mjs");
  if (!isFresh()) {
    try {
      await buildCli({ quiet: true });
    } catch (e) {
      const why = e?.errors?.[0]?.text ?? String(e instanceof Error ? e.message : e).split("\n")[0];
      process.stderr.write(`triage: cannot build the CLI bundle (${why}); running the sources through tsx, which starts slower\n`);
      const { tsImport } = await import("tsx/esm/api");
      return tsImport("./main.ts", import.meta.url);
    }
  }
  return import(pathToFileURL(ENTRY).href);
}

if (Number(process.versions.node.split(".")[0]) < NODE_MAJOR) {
  const child = spawn(fileURLToPath(new URL("../scripts/node", import.meta.url)), [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("error", (e) => {
    console.error(`triage: cannot start scripts/node for Node ${NODE_MAJOR} (${e.message}); run it as scripts/node cli/bin.mjs.`);
    process.exitCode = 1;
  });
  child.on("exit", (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
} else {
  const { main } = await loadCli();
  process.exitCode = await main(process.argv.slice(2));
}
