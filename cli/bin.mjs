#!/usr/bin/env node
// The `triage` command. TypeScript sources run through tsx so `npx triage` works right after install.
import { tsImport } from "tsx/esm/api";

const { main } = await tsImport("./main.ts", import.meta.url);
process.exitCode = await main(process.argv.slice(2));
