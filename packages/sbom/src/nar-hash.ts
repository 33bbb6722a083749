import { SbomError } from './errors.js';

/** Nix's base-32 alphabet (no e, o, u, t, so no words appear in hashes). */
const NIX32 = '0123456789abcdfghijklmnpqrsvwxyz';
const SHA256_BYTES = 32;

/**
 * A sha256 NAR hash as lowercase hex, from any form Nix prints it in: `sha256:<nix32>` (Nix 2.8's
 * exportReferencesGraph and path-info), SRI `sha256-<base64>` (newer Nix) or `sha256:<hex>`.
 * SPDX checksums must be hex.
 */
export function narHashHex(narHash: string): string {
  const sri = /^sha256-([A-Za-z0-9+/]{43}=)$/.exec(narHash);
  if (sri) return Buffer.from(sri[1] as string, 'base64').toString('hex');
  const colon = /^sha256:([0-9a-z]+)$/.exec(narHash);
  const value = colon?.[1];
  if (value !== undefined && value.length === 64 && /^[0-9a-f]+$/.test(value)) return value;
  if (value !== undefined && value.length === 52) return nix32Decode(value).toString('hex');
  throw new SbomError(`NAR hash ${JSON.stringify(narHash.slice(0, 100))} is not a sha256 hash Nix prints`);
}

/** Nix's base-32 reads the hash from its last byte's bits first: character k holds bits 5n..5n+4, n = len-1-k. */
function nix32Decode(text: string): Buffer {
  const bytes = Buffer.alloc(SHA256_BYTES);
  for (let k = 0; k < text.length; k++) {
    const digit = NIX32.indexOf(text[k] as string);
    if (digit < 0) throw new SbomError(`NAR hash has ${JSON.stringify(text[k])}, not a Nix base-32 digit`);
    const bit = (text.length - 1 - k) * 5;
    const i = bit >> 3;
    const j = bit & 7;
    bytes[i] = (bytes[i] as number) | ((digit << j) & 0xff);
    const carry = digit >> (8 - j);
    if (carry !== 0) {
      if (i + 1 >= SHA256_BYTES) throw new SbomError('NAR hash is longer than sha256');
      bytes[i + 1] = (bytes[i + 1] as number) | carry;
    }
  }
  return bytes;
}
