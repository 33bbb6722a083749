import { existsSync } from 'node:fs';
import { SETTINGS } from './table.js';
import { type Env, value } from './values.js';

/** How a fleet shares Nix's work: remote builders and the keys of a shared binary cache. */
export interface NixFleetConfig {
  /** Nix's `builders` (machine format); '' for none; null keeps Nix's own configuration. */
  builders: string | null;
  /** Nix's `trusted-public-keys`, space-separated; null keeps Nix's own configuration. */
  trustedPublicKeys: string | null;
}

/** A Nix signing key's public half: `name:` and the base64 of 32 bytes (ed25519). */
function isPublicKey(key: string): boolean {
  const colon = key.indexOf(':');
  if (colon <= 0) return false;
  const encoded = key.slice(colon + 1);
  return /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) && Buffer.from(encoded, 'base64').length === 32;
}

/**
 * The problems of one machine line (`uri systems key maxJobs speed features mandatory hostKey`,
 * `-` for a default): checked so a reordered or truncated line fails at start, not at the first
 * build. The store URI itself is Nix's to understand.
 */
function machineProblems(line: string): string[] {
  if (line.startsWith('@')) {
    const file = line.slice(1).trim();
    return existsSync(file) ? [] : [`the machines file ${file} does not exist`];
  }
  const fields = line.split(/\s+/);
  const [, systems, , maxJobs, speed] = fields;
  const problems: string[] = [];
  if (fields.length > 8) problems.push(`"${line}" has more than 8 fields`);
  if (
    systems !== undefined &&
    systems !== '-' &&
    !/^[a-z0-9_]+-[a-z0-9_]+(,[a-z0-9_]+-[a-z0-9_]+)*$/.test(systems)
  )
    problems.push(`"${systems}" in "${line}" is not a list of Nix systems such as x86_64-linux`);
  if (maxJobs !== undefined && maxJobs !== '-' && !/^[0-9]+$/.test(maxJobs))
    problems.push(`the job count "${maxJobs}" in "${line}" is not a whole number`);
  if (speed !== undefined && speed !== '-' && !/^[0-9]+(\.[0-9]+)?$/.test(speed))
    problems.push(`the speed factor "${speed}" in "${line}" is not a number`);
  return problems;
}

export function nixFleetSetting(env: Env, problems: string[]): NixFleetConfig {
  const keys = value(env, 'trustedPublicKeys');
  for (const key of keys?.split(/\s+/) ?? []) {
    if (!isPublicKey(key))
      problems.push(
        `${SETTINGS.trustedPublicKeys.env}: ${JSON.stringify(key)} is not a Nix public key (name:base64 of 32 bytes, as nix-store --generate-binary-cache-key writes)`,
      );
  }
  // Unlike the other settings, a blank value means something: no remote builders at all.
  const builders = env[SETTINGS.nixBuilders.env];
  const lines = (builders ?? '')
    .split(/[;\n]/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  for (const problem of lines.flatMap(machineProblems))
    problems.push(`${SETTINGS.nixBuilders.env}: ${problem}`);
  return {
    builders: builders === undefined ? null : builders.trim(),
    trustedPublicKeys: keys === undefined ? null : keys.split(/\s+/).join(' '),
  };
}
