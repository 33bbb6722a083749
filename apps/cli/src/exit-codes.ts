/** Exit codes that scripts can tell apart. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  buildFailed: 4,
  timeout: 5,
} as const;

export function exitWith(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}
