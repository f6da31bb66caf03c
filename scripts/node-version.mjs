// The Node major version the project runs on. scripts/node-env.sh, package.json's engines, the
// Dockerfile and the workflow state the same; test/scripts/node.test.ts keeps them in step.
export const NODE_MAJOR = 24;

/**
 * Stops a tool started on an older Node (say `npx vitest` on the machine's Node 20) with the command
 * that runs it on the project's Node, instead of failing later on a native module built for Node 24.
 * @throws Error naming the running Node and the command to use.
 */
export function assertProjectNode(tool, command) {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= NODE_MAJOR) return;
  throw new Error(
    `${tool} is running on Node ${process.version}, but this project runs on Node ${NODE_MAJOR} (its better-sqlite3 is built for it). Run it through scripts/node: ${command}`,
  );
}
