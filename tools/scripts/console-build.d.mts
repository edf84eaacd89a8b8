/** Types of console-build.mjs, for the TypeScript callers (browser tests, the console benchmark). */
export declare const consoleDir: string;
export declare const consoleDistDir: string;
export declare function consoleBuildReason(dir?: string): string | undefined;
export declare function ensureConsoleBuilt(options?: {
  force?: boolean;
  log?: (line: string) => void;
}): Promise<{ built: false } | { built: true; reason: string; ms: number }>;
