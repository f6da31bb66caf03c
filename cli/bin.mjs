#!/usr/bin/env node
// The `triage` command. TypeScript sources run through tsx so `npx triage` works right after install.
// The project runs on Node 24: started by an older node (the machine's own), it hands itself to
// scripts/node, which runs Node 24 (and only that), so better-sqlite3 loads in the Node it was built for.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { NODE_MAJOR } from "../scripts/node-version.mjs";

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
  const { tsImport } = await import("tsx/esm/api");
  const { main } = await tsImport("./main.ts", import.meta.url);
  process.exitCode = await main(process.argv.slice(2));
}
