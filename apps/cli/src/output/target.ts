import { resolve } from 'node:path';
import { validateTag } from '@nixery/source';
import { CliError, EXIT } from '../exit-codes.js';

/** Where `nixery build` writes the image, in skopeo's transport syntax. */
export type OutputTarget =
  | {
      kind: 'oci';
      dir: string /** `org.opencontainers.image.ref.name`; null → the build tag. */;
      tag: string | null;
    }
  | {
      kind: 'docker-archive';
      file: string /** `name:tag` for RepoTags; null → the image name. */;
      reference: string | null;
    };

/**
 * `oci:DIR[:TAG]` or `docker-archive:FILE[:NAME:TAG]`. As in skopeo, the path ends at the first
 * colon after the transport name.
 */
export function parseOutputTarget(text: string): OutputTarget {
  const colon = text.indexOf(':');
  const transport = colon === -1 ? text : text.slice(0, colon);
  const rest = colon === -1 ? '' : text.slice(colon + 1);
  const split = rest.indexOf(':');
  const path = split === -1 ? rest : rest.slice(0, split);
  const suffix = split === -1 ? null : rest.slice(split + 1);
  if (path === '' || (transport !== 'oci' && transport !== 'docker-archive')) {
    throw new CliError(
      EXIT.usage,
      `--out must be oci:DIR[:TAG] or docker-archive:FILE[:NAME:TAG], got ${JSON.stringify(text)}`,
    );
  }
  if (transport === 'oci') {
    if (suffix !== null) checkTag(suffix, text);
    return { kind: 'oci', dir: resolve(path), tag: suffix };
  }
  if (suffix !== null) checkReference(suffix, text);
  return { kind: 'docker-archive', file: resolve(path), reference: suffix };
}

function checkTag(tag: string, text: string): void {
  try {
    validateTag(tag);
  } catch (error) {
    throw new CliError(EXIT.usage, `--out ${text}: ${(error as Error).message}`);
  }
}

/** A Docker reference with a tag: lowercase path components, optional registry host, then `:tag`. */
const REFERENCE =
  /^(?:[a-z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

function checkReference(reference: string, text: string): void {
  if (!REFERENCE.test(reference)) {
    throw new CliError(
      EXIT.usage,
      `--out ${text}: ${JSON.stringify(reference)} is not an image reference like name:tag`,
    );
  }
}
