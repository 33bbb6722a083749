import { SETTINGS, type SettingName } from './table.js';

export type Env = Record<string, string | undefined>;

/** A variable's value, trimmed; blank counts as unset. */
export function value(env: Env, name: SettingName): string | undefined {
  const v = env[SETTINGS[name].env];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** An `integer` setting within the table's bounds; its table default when unset. */
export function integerSetting(env: Env, name: SettingName, problems: string[], fallback?: number): number {
  const spec = SETTINGS[name] as { env: string; min?: number; max?: number; default?: unknown };
  const otherwise = fallback ?? (spec.default as number);
  const raw = value(env, name);
  if (raw === undefined) return otherwise;
  const min = spec.min ?? 0;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    problems.push(`${spec.env}=${JSON.stringify(raw)} must be a whole number from ${min} to ${max}`);
    return otherwise;
  }
  return Number(raw);
}

/** A `switch`: `1`/`true`/`yes` or `0`/`false`/`no` (any case); unset is false. */
export function switchSetting(env: Env, name: SettingName, problems: string[]): boolean {
  const raw = value(env, name);
  if (raw === undefined) return false;
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  problems.push(`${SETTINGS[name].env}=${JSON.stringify(raw)} must be 1, true, yes, 0, false or no`);
  return false;
}

/** Exactly `true` or `false` (the S3 switches, spelled as the AWS tools spell them). */
export function trueFalseSetting(env: Env, name: SettingName, problems: string[]): boolean {
  const fallback = (SETTINGS[name] as { default?: unknown }).default === true;
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  problems.push(`${SETTINGS[name].env}=${JSON.stringify(raw)} must be true or false`);
  return fallback;
}

/** One of the table's choices; its default when unset. */
export function choiceSetting<T extends string>(
  env: Env,
  name: SettingName,
  choices: readonly T[],
  problems: string[],
  describe: string,
): T {
  const fallback = (SETTINGS[name] as { default?: unknown }).default as T;
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const known = choices.find((choice) => choice === raw);
  if (known === undefined) {
    problems.push(
      `${SETTINGS[name].env}=${JSON.stringify(raw)} is not ${describe}; use one of ${choices.map((n) => `'${n}'`).join(', ')}`,
    );
    return fallback;
  }
  return known;
}

/** An http(s) or file URL. */
export function urlSetting(env: Env, name: SettingName, problems: string[]): string | null {
  const raw = value(env, name);
  if (raw === undefined) return null;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  if (url === null || !['http:', 'https:', 'file:'].includes(url.protocol)) {
    problems.push(`${SETTINGS[name].env}=${JSON.stringify(raw)} must be an http(s) or file URL`);
    return null;
  }
  return raw;
}

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * A duration in ms: a whole number of seconds, or number-unit pairs (`ms`, `s`, `m`, `h`, `d`,
 * `w`) such as `30d`, `6h`, `1h30m`; null for anything else.
 */
export function parseDuration(text: string): number | null {
  const raw = text.trim();
  if (/^[0-9]+$/.test(raw)) return Number(raw) * 1000;
  if (!/^([0-9]+(ms|s|m|h|d|w))+$/.test(raw)) return null;
  let total = 0;
  for (const [, amount, unit] of raw.matchAll(/([0-9]+)(ms|s|m|h|d|w)/g)) {
    total += Number(amount) * (DURATION_UNITS_MS[unit as string] as number);
  }
  return Number.isSafeInteger(total) ? total : null;
}

/** A `duration` setting in ms; its table default when unset (null when it has none). */
export function durationSetting(env: Env, name: SettingName, problems: string[]): number | null {
  const spec = SETTINGS[name] as { env: string; default?: unknown };
  const fallback = typeof spec.default === 'string' ? parseDuration(spec.default) : null;
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const ms = parseDuration(raw);
  if (ms === null) {
    problems.push(
      `${spec.env}=${JSON.stringify(raw)} must be a duration: seconds, or a number with a unit (ms, s, m, h, d, w), e.g. 30d or 1h30m`,
    );
    return fallback;
  }
  return ms;
}
