import { describe, expect, test } from 'vitest';
import {
  defaultPlatform,
  forPlatform,
  hostPlatform,
  namesPlatform,
  PlatformError,
  parseImageName,
  parsePlatform,
  parsePlatformList,
  platformName,
  platformOfArch,
} from '../src/index.js';

describe('parsePlatform', () => {
  test.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64', system: 'x86_64-linux' }],
    ['linux/arm64', { os: 'linux', architecture: 'arm64', variant: 'v8', system: 'aarch64-linux' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8', system: 'aarch64-linux' }],
    [' Linux/ARM64 ', { os: 'linux', architecture: 'arm64', variant: 'v8', system: 'aarch64-linux' }],
    ['linux/riscv64', { os: 'linux', architecture: 'riscv64', system: 'riscv64-linux' }],
  ])('%s', (text, expected) => {
    expect(parsePlatform(text)).toEqual(expected);
  });

  test.each([
    ['amd64', /not os\/architecture/],
    ['linux/amd64/v2/x', /not os\/architecture/],
    ['windows/amd64', /only linux/],
    ['linux/x86_64', /unknown architecture/],
    ['linux/arm', /unknown architecture/],
    ['linux/arm64/v7', /variant "v7"/],
    ['linux/amd64/v3', /variant "v3"/],
    ['', /not os\/architecture/],
  ])('%s is refused: %s', (text, message) => {
    expect(() => parsePlatform(text)).toThrow(PlatformError);
    expect(() => parsePlatform(text)).toThrow(message);
    expect(() => parsePlatform(text)).toThrow(/known platforms: linux\/amd64, linux\/arm64, linux\/riscv64/);
  });

  test('platformName writes the variant; it parses back', () => {
    expect(platformName(platformOfArch('arm64'))).toBe('linux/arm64/v8');
    expect(platformName(platformOfArch('amd64'))).toBe('linux/amd64');
    for (const arch of ['amd64', 'arm64', 'riscv64'] as const)
      expect(parsePlatform(platformName(platformOfArch(arch)))).toBe(platformOfArch(arch));
  });
});

describe('parsePlatformList', () => {
  test('keeps the order given', () => {
    expect(parsePlatformList('linux/arm64,linux/amd64').map((p) => p.architecture)).toEqual([
      'arm64',
      'amd64',
    ]);
    expect(parsePlatformList('linux/amd64').map((p) => p.architecture)).toEqual(['amd64']);
  });
  test('refuses empty entries and repeats (also the same platform written two ways)', () => {
    expect(() => parsePlatformList('linux/amd64,')).toThrow(/empty entry/);
    expect(() => parsePlatformList('')).toThrow(/empty entry/);
    expect(() => parsePlatformList('linux/arm64,linux/arm64/v8')).toThrow(/names linux\/arm64\/v8 twice/);
    expect(() => parsePlatformList('linux/amd64,linux/mips')).toThrow(/unknown architecture/);
  });
});

describe('host and default platform', () => {
  test('hostPlatform maps Node architectures', () => {
    expect(hostPlatform('x64')).toBe(platformOfArch('amd64'));
    expect(hostPlatform('arm64')).toBe(platformOfArch('arm64'));
    expect(hostPlatform('ia32')).toBeNull();
  });
  test("the host's platform when served, else the first", () => {
    const amd64 = platformOfArch('amd64');
    const arm64 = platformOfArch('arm64');
    expect(defaultPlatform([arm64, amd64], amd64)).toBe(amd64);
    expect(defaultPlatform([arm64], amd64)).toBe(arm64);
    expect(defaultPlatform([arm64, amd64], null)).toBe(arm64);
    expect(() => defaultPlatform([], amd64)).toThrow(PlatformError);
  });
});

describe('requests and platforms', () => {
  test('a leading arm64 names the platform; elsewhere it is a package', () => {
    expect(namesPlatform(parseImageName('arm64/hello'))).toBe(true);
    expect(namesPlatform(parseImageName('shell/arm64'))).toBe(true);
    expect(namesPlatform(parseImageName('arm64'))).toBe(true);
    expect(namesPlatform(parseImageName('hello/arm64'))).toBe(false);
    expect(namesPlatform(parseImageName('hello'))).toBe(false);
  });
  test('forPlatform changes only arch and system', () => {
    const request = parseImageName('shell/hello');
    expect(forPlatform(request, platformOfArch('arm64'))).toEqual({
      ...request,
      arch: 'arm64',
      system: 'aarch64-linux',
    });
  });
});
