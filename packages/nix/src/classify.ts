/** Earlier nix/image.nix versions aborted with `nixery-unknown-packages:<JSON list>:end`; still recognised (e.g. for a custom imageNixPath). */
const UNKNOWN_MARKER = 'nixery-unknown-packages:';

/** The names in the unknown-packages marker of Nix's error output, or null if there is none. */
export function parseUnknownPackages(log: string): string[] | null {
  const start = log.indexOf(UNKNOWN_MARKER);
  if (start < 0) return null;
  const json = log.slice(start + UNKNOWN_MARKER.length);
  // Names may contain ']' inside JSON strings: the first ']' that closes a valid list is the end.
  for (let end = json.indexOf(']'); end >= 0; end = json.indexOf(']', end + 1)) {
    try {
      const names: unknown = JSON.parse(json.slice(0, end + 1));
      if (Array.isArray(names) && names.every((n) => typeof n === 'string')) return names;
    } catch {
      // not the end of the list yet
    }
  }
  return null;
}

/**
 * Nix 2.8: "a 'aarch64-linux' with features {} is required to build '…', but I am a 'x86_64-linux' …";
 * newer Nix: "Reason: required system or feature not available".
 */
export function isUnsupportedSystem(log: string): boolean {
  return /is required to build '|required system or feature not available/.test(log);
}
