#!/usr/bin/env node
// The `triage` command. It runs the prebuilt bundle in dist/cli (made by `npm ci` and `npm run build`),
// so a call starts in plain Node without compiling TypeScript.
import { pathToFileURL } from "node:url";
import { ENTRY, buildCli, isFresh } from "./build.mjs";

/** The CLI's module: the bundle, rebuilt first when missing or older than a source; else the sources through tsx. */
async function loadCli() {
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

const { main } = await loadCli();
process.exitCode = await main(process.argv.slice(2));
