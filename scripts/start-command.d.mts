// Types of scripts/start-command.mjs for the TypeScript bench.
export function startCommand(): { nodeFlags: string[]; env: Record<string, string> };
