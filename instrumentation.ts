/**
 * Runs once when the server starts. The literal NEXT_RUNTIME check lets Next drop the Node-only code
 * from the edge bundle.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startServer } = await import("./instrumentation-node");
    await startServer();
  }
}
