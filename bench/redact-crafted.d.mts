export function plainLog(bytes: number): string;
export function craftedLines(bytes: number): Record<string, string>;
export const MiB: number;
export function bytesOf(s: string): number;
