/**
 * Runs the instrumentation hook as the server process does at start, for the start-up tests; prints
 * "registered" and exits 0 when it returns.
 * Usage: node --conditions=react-server --import tsx test/server/register-child.ts (environment: the
 * console's, plus NEXT_RUNTIME=nodejs)
 */
import { register } from "@/instrumentation";

await register();
console.log("registered");
process.exit(0);
