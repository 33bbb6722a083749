/**
 * Where the image's packages came from, as the SBOM names it. A local package set is named
 * neutrally: its host path says nothing to a reader elsewhere and tells them about this machine.
 */
export type SbomSource =
  | { kind: 'path' }
  | { kind: 'channel'; channel: string }
  | { kind: 'git'; url: string; rev?: string; ref?: string };

/** One line for the document: the channel, commit or repository and revision. */
export function describeSource(source: SbomSource): string {
  switch (source.kind) {
    case 'path':
      return 'a local Nix package set';
    case 'channel':
      return /^[0-9a-f]{40}$/.test(source.channel)
        ? `nixpkgs commit ${source.channel}`
        : `nixpkgs channel ${source.channel}`;
    case 'git': {
      const url = withoutCredentials(source.url);
      if (source.rev !== undefined) return `git ${url} at commit ${source.rev}`;
      if (source.ref !== undefined) return `git ${url} at ref ${source.ref}`;
      return `git ${url} at its default branch`;
    }
  }
}

/** A repository URL may carry a token (`https://user:token@host/…`): never copy it into a document. */
function withoutCredentials(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url; // scp-like `git@host:path`: its user is not a secret
  }
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}
