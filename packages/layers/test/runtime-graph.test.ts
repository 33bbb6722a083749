import { describe, expect, test } from 'vitest';
import { LayersError, type LayersErrorCode, RuntimeGraph, type RuntimeGraphJson } from '../src/index.js';
import { runtimeGraph, storePath } from './helpers.js';

const small = (): RuntimeGraphJson =>
  runtimeGraph(
    {
      app: { narSize: 10, references: ['lib', 'app', 'lib'] }, // self reference and a repeat
      lib: { narSize: 5 },
    },
    ['app'],
  );

function rejection(input: unknown): LayersError {
  try {
    RuntimeGraph.fromJson(input);
  } catch (error) {
    if (error instanceof LayersError) return error;
    throw error;
  }
  throw new Error('expected the graph to be rejected');
}

function expectRejected(input: unknown, code: LayersErrorCode, message: RegExp): LayersError {
  const error = rejection(input);
  expect(error.code).toBe(code);
  expect(error.message).toMatch(message);
  return error;
}

describe('RuntimeGraph', () => {
  test('reads paths, sizes and references; drops self references and repeats', () => {
    const graph = RuntimeGraph.fromJson(small());
    expect(graph.size).toBe(2);
    const app = graph.indexOf(storePath('app'));
    expect(graph.pathInfo(app)).toMatchObject({
      narSize: 10,
      closureSize: 15,
      references: [storePath('lib')],
    });
    expect(graph.topLevelPaths()).toEqual([storePath('app')]);
    expect(graph.indexOf('/nix/store/missing')).toBe(-1);
    expect(graph.has(storePath('lib'))).toBe(true);
  });

  test('toJson round-trips the normalised graph', () => {
    const json = RuntimeGraph.fromJson(small()).toJson();
    expect(json.graph.map((p) => p.references.length)).toEqual([1, 0]);
    expect(RuntimeGraph.fromJson(json).toJson()).toEqual(json);
  });

  test('toGraphology gives one node per path and one edge per distinct reference', () => {
    const graph = RuntimeGraph.fromJson(small()).toGraphology();
    expect(graph.order).toBe(2);
    expect(graph.size).toBe(1);
    expect(graph.hasDirectedEdge(storePath('app'), storePath('lib'))).toBe(true);
    expect(graph.getNodeAttributes(storePath('app'))).toMatchObject({
      narSize: 10,
      closureSize: 15,
      topLevel: true,
    });
  });

  test('parse reads text and reports broken JSON', () => {
    expect(RuntimeGraph.parse(JSON.stringify(small())).size).toBe(2);
    expect(() => RuntimeGraph.parse('{"graph": [')).toThrow(LayersError);
    expect(rejectionOfText('{"graph": [').code).toBe('INVALID_JSON');
  });

  test('an empty closure is valid', () => {
    expect(RuntimeGraph.fromJson({ graph: [], exportReferencesGraph: { graph: [] } }).size).toBe(0);
  });
});

function rejectionOfText(text: string): LayersError {
  try {
    RuntimeGraph.parse(text);
  } catch (error) {
    if (error instanceof LayersError) return error;
  }
  throw new Error('expected a LayersError');
}

describe('RuntimeGraph validation', () => {
  test.each([
    [null, /must be a JSON object/],
    [[], /must be a JSON object/],
    [{ exportReferencesGraph: { graph: [] } }, /"graph" must be an array/],
    [{ graph: [] }, /exportReferencesGraph\.graph/],
    [{ graph: [], exportReferencesGraph: { graph: [1] } }, /exportReferencesGraph\.graph/],
    [{ graph: [42], exportReferencesGraph: { graph: [] } }, /entry 0 must be an object/],
  ])('shape %#', (input, message) => {
    expectRejected(input, 'INVALID_SHAPE', message);
  });

  test('a path info without a path, hash or reference list', () => {
    const entry = small().graph[0];
    const withEntry = (changes: object) => ({ ...small(), graph: [{ ...entry, ...changes }] });
    expectRejected(withEntry({ path: '' }), 'INVALID_SHAPE', /no "path" string/);
    expectRejected(withEntry({ narHash: undefined }), 'INVALID_SHAPE', /no "narHash" string/);
    expectRejected(withEntry({ references: [3] }), 'INVALID_SHAPE', /"references" array of strings/);
  });

  test.each([
    ['narSize', -1],
    ['narSize', 1.5],
    ['closureSize', '12'],
    ['closureSize', 2 ** 53],
    ['closureSize', Number.NaN],
    ['narSize', null],
  ])('bad number: %s = %s', (field, value) => {
    const json = small();
    (json.graph[1] as unknown as Record<string, unknown>)[field] = value;
    const error = expectRejected(json, 'BAD_NUMBER', new RegExp(field));
    expect(error.path).toBe(storePath('lib'));
  });

  test('duplicate paths', () => {
    const json = small();
    json.graph.push({ ...(json.graph[1] as RuntimeGraphJson['graph'][number]) });
    expect(expectRejected(json, 'DUPLICATE_PATH', /twice/).path).toBe(storePath('lib'));
  });

  test('a reference to a path outside the graph', () => {
    const json = small();
    json.graph[1]?.references.push(storePath('ghost'));
    const error = expectRejected(json, 'MISSING_REFERENCE', /ghost/);
    expect(error.path).toBe(storePath('lib'));
  });

  test('a requested path outside the graph', () => {
    const json = small();
    json.exportReferencesGraph.graph.push(storePath('ghost'));
    expect(expectRejected(json, 'UNKNOWN_TOP_LEVEL', /ghost/).path).toBe(storePath('ghost'));
  });

  test('a reference cycle is named in order', () => {
    const json = runtimeGraph(
      {
        top: { narSize: 1, closureSize: 1, references: ['a'] },
        a: { narSize: 1, closureSize: 1, references: ['b'] },
        b: { narSize: 1, closureSize: 1, references: ['c', 'leaf'] },
        c: { narSize: 1, closureSize: 1, references: ['a'] },
        leaf: { narSize: 1, closureSize: 1 },
      },
      ['top'],
    );
    const error = expectRejected(json, 'CYCLE', /reference cycle/);
    const cycle = (error.cycle ?? []).map((p) => p.slice(p.indexOf('-') + 1));
    // Any rotation of a → b → c, in reference order.
    const start = cycle.indexOf('a');
    expect([...cycle.slice(start), ...cycle.slice(0, start)]).toEqual(['a', 'b', 'c']);
  });

  test('a two-path cycle, but self references alone are fine', () => {
    const twoCycle = runtimeGraph(
      {
        x: { narSize: 1, closureSize: 1, references: ['y'] },
        y: { narSize: 1, closureSize: 1, references: ['x'] },
      },
      ['x'],
    );
    expect(rejection(twoCycle).cycle?.length).toBe(2);
    const selfOnly = runtimeGraph({ x: { narSize: 1, closureSize: 1, references: ['x', 'x'] } }, ['x']);
    expect(RuntimeGraph.fromJson(selfOnly).references(0).length).toBe(0);
  });
});
