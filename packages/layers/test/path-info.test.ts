import { describe, expect, test } from 'vitest';
import {
  groupLayers,
  LayersError,
  RuntimeGraph,
  readPathInfoList,
  runtimeGraphFromPathInfo,
} from '../src/index.js';
import { runtimeGraph, storePath } from './helpers.js';

const closure = runtimeGraph(
  {
    app: { narSize: 5, references: ['lib', 'app'] },
    tool: { narSize: 2, references: ['lib'] },
    lib: { narSize: 3 },
  },
  ['app', 'tool'],
);
// Nix 2.8: an array with extra fields; Nix 2.19+: an object keyed by path.
const nix28 = closure.graph.map((p) => ({
  ...p,
  deriver: '/nix/store/x.drv',
  registrationTime: 1,
  ultimate: true,
}));
const nix219 = Object.fromEntries(
  closure.graph.map(({ path, ...rest }) => [path, { ...rest, signatures: [] }]),
);

describe('runtimeGraphFromPathInfo', () => {
  test.each([
    ['Nix 2.8 array', nix28],
    ['Nix 2.19 object', nix219],
  ])('%s gives the same graph', (_, input) => {
    const json = runtimeGraphFromPathInfo(input, [storePath('app'), storePath('tool')]);
    expect(RuntimeGraph.fromJson(json).toJson()).toEqual(RuntimeGraph.fromJson(closure).toJson());
  });

  test('without requested paths, the unreferenced ones are taken', () => {
    expect(runtimeGraphFromPathInfo(nix219).exportReferencesGraph.graph.sort()).toEqual(
      [storePath('app'), storePath('tool')].sort(),
    );
  });

  test('references given as base names are resolved in the store directory', () => {
    const bare = Object.fromEntries(
      closure.graph.map(({ path, ...rest }) => [
        path,
        { ...rest, references: rest.references.map((r) => r.slice(11)) },
      ]),
    );
    const json = runtimeGraphFromPathInfo(bare);
    expect(groupLayers(json, {})).toEqual(groupLayers(closure, {}));
  });

  test.each([
    [42, /array or object/],
    [[{ narSize: 1 }], /no "path" string/],
    [{ '/nix/store/aaaa-x': null }, /not a valid path info/],
    [[{ path: '/nix/store/aaaa-x', narSize: 1, narHash: 'h', references: [] }], /--closure-size/],
    [[{ path: '/nix/store/aaaa-x', narSize: 1, closureSize: 1, narHash: 'h' }], /"references"/],
  ])('rejects malformed output %#', (input, message) => {
    expect(() => readPathInfoList(input)).toThrow(LayersError);
    expect(() => readPathInfoList(input)).toThrow(message);
  });

  test('bad sizes are caught when the graph is validated', () => {
    const json = runtimeGraphFromPathInfo([
      { path: '/p/x', narSize: 'big', closureSize: 1, narHash: 'h', references: [] },
    ]);
    expect(() => RuntimeGraph.fromJson(json)).toThrow(/narSize/);
  });
});
