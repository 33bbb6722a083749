import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { SbomError } from '../src/errors.js';
import { buildSpdxDocument, type SbomInput, type SbomPath } from '../src/spdx.js';
import { spdxSchemaErrors } from './schema.js';

const store = (letter: string, name: string) => `/nix/store/${letter.repeat(32)}-${name}`;
const narHash = (seed: string) => `sha256-${createHash('sha256').update(seed).digest('base64')}`;
const path = (p: string, references: string[] = [], narSize = 1000): SbomPath => ({
  path: p,
  narHash: narHash(p),
  narSize,
  references,
});

const glibc = store('g', 'glibc-2.39-52');
const zlib = store('z', 'zlib-1.3.1');
const git = store('c', 'git-2.44.0');
const htop = store('h', 'htop-3.3.0');

function input(overrides: Partial<SbomInput> = {}): SbomInput {
  return {
    imageName: 'git/htop',
    arch: 'amd64',
    closure: [path(git, [zlib, glibc, git]), path(htop, [glibc]), path(zlib, [glibc]), path(glibc, [glibc])],
    requested: [
      { name: 'git', path: git },
      { name: 'htop', path: htop },
    ],
    source: { kind: 'channel', channel: 'nixos-24.05' },
    ...overrides,
  };
}

describe('buildSpdxDocument', () => {
  test('validates against the official SPDX 2.3 JSON schema', () => {
    const { document, bytes } = buildSpdxDocument(input());
    expect(spdxSchemaErrors(JSON.parse(bytes.toString('utf8')))).toEqual([]);
    expect(document.spdxVersion).toBe('SPDX-2.3');
  });

  test('the schema check can fail: a package without a name is refused', () => {
    const { document } = buildSpdxDocument(input());
    const broken = structuredClone(document) as unknown as { packages: Record<string, unknown>[] };
    delete broken.packages[0]?.name;
    expect(spdxSchemaErrors(broken).length).toBeGreaterThan(0);
  });

  test('one package per store path with name, version, store path, NAR hash and size, purl', () => {
    const { document } = buildSpdxDocument(input());
    expect(document.packages.map((p) => p.packageFileName)).toEqual([git, glibc, htop, zlib]);
    const glibcPackage = document.packages.find((p) => p.packageFileName === glibc)!;
    expect(glibcPackage).toMatchObject({
      SPDXID: `SPDXRef-StorePath-${'g'.repeat(32)}`,
      name: 'glibc',
      versionInfo: '2.39-52',
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      checksums: [{ algorithm: 'SHA256', checksumValue: createHash('sha256').update(glibc).digest('hex') }],
      externalRefs: [
        {
          referenceCategory: 'PACKAGE-MANAGER',
          referenceType: 'purl',
          referenceLocator: 'pkg:nix/glibc@2.39-52',
        },
      ],
    });
    expect(glibcPackage.comment).toContain('NAR size 1000 bytes');
    expect(document.packages.find((p) => p.packageFileName === git)?.comment).toContain('requested as git');
  });

  test('the document DESCRIBES the requested packages; references are DEPENDS_ON, without self references', () => {
    const { document } = buildSpdxDocument(input());
    const id = (p: string) => document.packages.find((x) => x.packageFileName === p)!.SPDXID;
    const pairs = document.relationships.map((r) => [
      r.spdxElementId,
      r.relationshipType,
      r.relatedSpdxElement,
    ]);
    expect(pairs).toEqual([
      ['SPDXRef-DOCUMENT', 'DESCRIBES', id(git)],
      ['SPDXRef-DOCUMENT', 'DESCRIBES', id(htop)],
      [id(git), 'DEPENDS_ON', id(glibc)],
      [id(git), 'DEPENDS_ON', id(zlib)],
      [id(htop), 'DEPENDS_ON', id(glibc)],
      [id(zlib), 'DEPENDS_ON', id(glibc)],
    ]);
  });

  test('reproducible: the same closure in any order gives the same bytes; another closure another namespace', () => {
    const a = buildSpdxDocument(input());
    const b = buildSpdxDocument(input({ closure: [...input().closure].reverse() }));
    expect(b.bytes.equals(a.bytes)).toBe(true);
    expect(a.digest).toBe(`sha256:${createHash('sha256').update(a.bytes).digest('hex')}`);
    expect(a.document.creationInfo.created).toBe('1970-01-01T00:00:00Z');
    expect(a.document.documentNamespace).toMatch(/^https:\/\/nixery\.invalid\/spdx\/[0-9a-f]{64}$/);
    // The bytes are the document (namespace included), and the namespace hashes it without one.
    expect(a.bytes.toString()).toBe(`${JSON.stringify(a.document, null, 2)}\n`);
    const unnamed = `${JSON.stringify({ ...a.document, documentNamespace: '' }, null, 2)}\n`;
    expect(a.document.documentNamespace).toBe(
      `https://nixery.invalid/spdx/${createHash('sha256').update(unnamed).digest('hex')}`,
    );

    const other = buildSpdxDocument(
      input({ closure: [...input().closure.slice(0, 3), path(glibc, [], 2000)] }),
    );
    expect(other.document.documentNamespace).not.toBe(a.document.documentNamespace);
  });

  test('the source is named; a local set never by its host path, a git URL never with its credentials', () => {
    const local = buildSpdxDocument(input({ source: { kind: 'path' } }));
    expect(local.document.comment).toContain('a local Nix package set');
    const commit = '0123456789abcdef0123456789abcdef01234567';
    const git = buildSpdxDocument(
      input({
        source: { kind: 'git', url: 'https://user:s3cret@example.com/pkgs.git?token=x', rev: commit },
      }),
    );
    expect(git.document.comment).toContain(`git https://example.com/pkgs.git at commit ${commit}`);
    expect(git.bytes.toString()).not.toContain('s3cret');
    expect(git.bytes.toString()).not.toContain('token');
    const pinned = buildSpdxDocument(input({ source: { kind: 'channel', channel: commit } }));
    expect(pinned.document.comment).toContain(`nixpkgs commit ${commit}`);
  });

  test('inconsistent input is an SbomError', () => {
    expect(() => buildSpdxDocument(input({ closure: [path(git, [zlib])], requested: [] }))).toThrow(
      /references? .*zlib.* is not in the image's closure/,
    );
    expect(() =>
      buildSpdxDocument(input({ requested: [{ name: 'vim', path: store('v', 'vim-9') }] })),
    ).toThrow(SbomError);
    expect(() => buildSpdxDocument(input({ closure: [path(glibc), path(glibc)], requested: [] }))).toThrow(
      /twice/,
    );
  });
});
