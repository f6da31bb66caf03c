export declare const NODE_MAJOR: number;
/** @throws Error naming the running Node and the command to use, when it is older than NODE_MAJOR. */
export declare function assertProjectNode(tool: string, command: string): void;
