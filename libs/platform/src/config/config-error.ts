export interface ConfigIssue {
  /** The environment variable at fault, e.g. `HTTP_PORT`. */
  variable: string;
  message: string;
}

/**
 * The configuration cannot be used. The message names every bad variable on one line, because
 * it is what an operator reads when a pod crash-loops: runService prints it without a stack.
 * The stack is trimmed to that line and the details are not enumerable, so that even a
 * ConfigError thrown outside runService (loadConfig at the top of main.ts) crashes with a
 * readable message rather than a wall of frames.
 */
export class ConfigError extends Error {
  declare readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(`invalid configuration: ${issues.map((issue) => `${issue.variable}: ${issue.message}`).join('; ')}`);
    this.name = 'ConfigError';
    Object.defineProperty(this, 'issues', { value: issues, enumerable: false });
    this.stack = `${this.name}: ${this.message}`;
  }

  get code(): string {
    return 'CONFIG.INVALID';
  }

  get retryable(): boolean {
    return false;
  }
}
