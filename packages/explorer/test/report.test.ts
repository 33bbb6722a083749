import { groupLayers, type RuntimeGraphJson } from '@nixery/layers';
import { describe, expect, test } from 'vitest';
import { type ImageReport, imageReport, ReportMismatchError, standaloneHtml } from '../src/index.js';

const store = (name: string) => `/nix/store/${name[0]!.repeat(32)}-${name}`;
const info = (name: string, narSize: number, references: string[]) => ({
  path: store(name),
  narSize,
  closureSize: narSize,
  narHash: '',
  references: references.map(store),
});
// app and tool both need glibc; only app needs zlib; coreutils is the /usr/bin/env provider.
const graph: RuntimeGraphJson = {
  graph: [
    info('app-1.0', 2_000, ['zlib-1.3', 'glibc-2.39']),
    info('tool-2.0', 3_000, ['glibc-2.39']),
    info('zlib-1.3', 5_000, ['glibc-2.39']),
    info('glibc-2.39', 50_000, []),
    info('coreutils-9.5', 7_000, ['glibc-2.39']),
  ],
  exportReferencesGraph: { graph: [store('app-1.0'), store('tool-2.0'), store('coreutils-9.5')] },
};
const layers = groupLayers(graph, {}, { budget: 94 });
const plan = {
  request: { name: 'app/tool', arch: 'amd64' as const, packages: ['app', 'tool'] },
  closure: {
    packages: [
      { name: 'app', outPaths: [store('app-1.0')] },
      { name: 'tool', outPaths: [store('tool-2.0')] },
    ],
    envPath: store('coreutils-9.5'),
  },
  graph,
  layers,
};
const digest = (n: number) => `sha256:${String(n).padStart(64, '0')}`;
const built = {
  manifests: { docker: { digest: digest(90), size: 900 }, oci: { digest: digest(91), size: 901 } },
  config: { digest: digest(92), size: 300 },
  layers: [
    ...layers.map((l, i) => ({
      digest: digest(i + 1),
      diffId: digest(i + 50),
      size: 100 * (i + 1),
      key: l.key,
    })),
    { digest: digest(80), diffId: digest(81), size: 7, key: 'root' },
  ],
};

describe('imageReport', () => {
  test('layers in manifest order with the record sizes, the paths with NAR sizes and who pulls them in', () => {
    const report = imageReport({ plan, tag: 'latest', grouping: { strategy: 'stable', budget: 94 }, built });
    expect(report.layers.map((l) => l.digest)).toEqual(built.layers.map((l) => l.digest));
    expect(report.layers.map((l) => l.compressedSize)).toEqual(built.layers.map((l) => l.size));
    expect(report.totals).toEqual({ layers: 6, paths: 5, narSize: 67_000, compressedSize: 1_507 });
    const paths = new Map(report.layers.flatMap((l) => l.paths).map((p) => [p.name, p]));
    expect(paths.get('glibc-2.39')).toMatchObject({
      narSize: 50_000,
      pulledInBy: ['app', 'tool'],
      requested: false,
    });
    expect(paths.get('zlib-1.3')?.pulledInBy).toEqual(['app']);
    expect(paths.get('app-1.0')).toMatchObject({ pulledInBy: ['app'], requested: true });
    // Named only as the /usr/bin/env provider, which no requested package pulls in.
    expect(paths.get('coreutils-9.5')?.pulledInBy).toEqual(['/usr/bin/env']);
    expect(report.layers.at(-1)).toMatchObject({ kind: 'root', reason: { kind: 'root' }, paths: [] });
    expect(report.layers[0]?.reason).toEqual({ kind: 'every-path' });
  });

  test('planned only: no digests or compressed sizes, no root layer', () => {
    const report = imageReport({ plan, tag: 'latest', grouping: { strategy: 'stable', budget: 94 } });
    expect(report.manifests).toBeNull();
    expect(report.totals.compressedSize).toBeNull();
    expect(report.layers.every((l) => l.digest === null && l.kind === 'store-paths')).toBe(true);
  });

  test('a record of other layers than the plan is refused', () => {
    const moved = { ...built, layers: built.layers.map((l, i) => (i === 0 ? { ...l, key: 'other' } : l)) };
    expect(() =>
      imageReport({ plan, tag: 'latest', grouping: { strategy: 'stable', budget: 94 }, built: moved }),
    ).toThrow(ReportMismatchError);
    expect(() =>
      imageReport({
        plan,
        tag: 'latest',
        grouping: { strategy: 'stable', budget: 94 },
        built: { ...built, layers: built.layers.slice(1) },
      }),
    ).toThrow(ReportMismatchError);
  });
});

describe('standaloneHtml', () => {
  test('inlines the bundle and the report; markup in the data cannot end its script element', async () => {
    const report = imageReport({ plan, tag: 'latest', grouping: { strategy: 'stable', budget: 94 } });
    const hostile: ImageReport = { ...report, name: '</script><script>alert(1)</script><!--' };
    const html = await standaloneHtml(hostile);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toContain('alert(1)</script>');
    const data = /<script id="explorer-data" type="application\/json">(.*?)<\/script>/s.exec(html)?.[1];
    expect(JSON.parse(data!)).toEqual(hostile);
    expect(html.match(/<script/g)?.length).toBe(2);
  });
});
