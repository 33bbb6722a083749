import type { Layer } from './layer.js';
import { storePathName } from './store-path.js';
import type { ImageDominatorTree } from './strategies/nixery.js';

/**
 * `{"layers":[{"paths":[…],"mergeRating":N,"narSize":N,"key":"…"}]}` with `mergeRating` written as
 * a plain JSON integer from the bigint's decimal digits, so no precision is lost past 2^53.
 */
export function layersToJson(layers: readonly Layer[]): string {
  const items = layers.map(
    (layer) =>
      `{"paths":${JSON.stringify(layer.paths)},"mergeRating":${layer.mergeRating.toString()},` +
      `"narSize":${JSON.stringify(layer.narSize)},"key":${JSON.stringify(layer.key)}}`,
  );
  return `{"layers":[${items.join(',')}]}`;
}

/** A human-readable table: index, path count, size, rating and the first few package names. */
export function layersToTable(layers: readonly Layer[], options: { namesShown?: number } = {}): string {
  const namesShown = options.namesShown ?? 3;
  const header = ['#', 'paths', 'size', 'rating', 'contents'];
  const rows = layers.map((layer, i) => {
    const names = layer.paths.slice(0, namesShown).map(storePathName);
    const more = layer.paths.length - names.length;
    return [
      String(i + 1),
      String(layer.paths.length),
      formatBytes(layer.narSize),
      layer.mergeRating.toString(),
      more > 0 ? `${names.join(', ')} … +${more}` : names.join(', '),
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] as string).length)));
  // Numbers right-aligned, the contents column left-aligned and not padded.
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padStart(widths[c] as number)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * The dominator tree in Graphviz DOT: the image root, one node per store path labelled with its
 * name and popularity, tree edges from each immediate dominator. With `layers`, each layer is a
 * cluster (`layer 1` is the first in manifest order).
 */
export function dominatorTreeToDot(tree: ImageDominatorTree, layers: readonly Layer[] = []): string {
  const lines = ['digraph dominators {', '  rankdir=LR;', '  node [shape=box, fontname="monospace"];'];
  lines.push(`  ${quote('image root')} [shape=doubleoctagon];`);
  const byPath = new Map(tree.nodes.map((node) => [node.path, node]));
  const nodeLine = (path: string, indent: string) => {
    const node = byPath.get(path);
    if (!node) return;
    const note = node.bigOrPopular ? ' (big or popular)' : '';
    lines.push(
      `${indent}${quote(node.path)} [label="${escapeDot(node.name)}\\npopularity ${node.popularity}${note}"];`,
    );
  };
  const clustered = new Set<string>();
  layers.forEach((layer, i) => {
    lines.push(
      `  subgraph cluster_${i + 1} {`,
      `    label=${quote(`layer ${i + 1} (rating ${layer.mergeRating})`)};`,
    );
    for (const path of layer.paths) {
      clustered.add(path);
      nodeLine(path, '    ');
    }
    lines.push('  }');
  });
  for (const node of tree.nodes) if (!clustered.has(node.path)) nodeLine(node.path, '  ');
  for (const node of tree.nodes)
    lines.push(`  ${quote(node.parent ?? 'image root')} -> ${quote(node.path)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function quote(id: string): string {
  return `"${escapeDot(id)}"`;
}

function escapeDot(text: string): string {
  return text.replace(/["\\]/g, (c) => `\\${c}`);
}
