import { type HierarchyRectangularNode, hierarchy, treemap, treemapSquarify } from 'd3-hierarchy';
import type { ImageReport, LayerReport, PathReport } from '../../src/report.js';
import { formatBytes } from './format.js';

/** A block of the picture: one store path of one layer. */
export interface Block {
  layer: LayerReport;
  path: PathReport;
}

interface Datum {
  layer?: LayerReport;
  path?: PathReport;
  children?: Datum[];
}

const SVG = 'http://www.w3.org/2000/svg';
/** Light fills, so the dark labels on them keep a contrast ratio above 7:1. */
const PALETTE = [
  '#a6cee3',
  '#b2df8a',
  '#fdbf6f',
  '#cab2d6',
  '#fb9a99',
  '#ffff99',
  '#8dd3c7',
  '#bebada',
  '#fccde5',
  '#d9d9d9',
  '#ccebc5',
  '#ffed6f',
];

export function layerColor(index: number): string {
  return PALETTE[(index - 1) % PALETTE.length]!;
}

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

/**
 * Draws the closure as a treemap: one box per layer sized by its store paths' bytes (NAR size),
 * subdivided into one block per store path. Every block is focusable; `onSelect` gets the block
 * under the pointer or keyboard focus, and `pinned` when it was clicked or chosen with Enter.
 */
export function renderTreemap(
  container: HTMLElement,
  report: ImageReport,
  onSelect: (block: Block | null, pinned: boolean) => void,
): void {
  const width = Math.max(280, Math.floor(container.clientWidth || 800));
  const height = Math.round(Math.min(520, Math.max(260, width * 0.55)));
  const root = hierarchy<Datum>({
    children: report.layers
      .filter((layer) => layer.paths.length > 0)
      .map((layer) => ({ layer, children: layer.paths.map((path) => ({ layer, path })) })),
  })
    .sum((d) => (d.path ? Math.max(d.path.narSize, 1) : 0))
    .sort((a, b) => (b.value ?? 0) - (a.value ?? 0));
  const laid = treemap<Datum>()
    .tile(treemapSquarify)
    .size([width, height])
    .paddingOuter(2)
    .paddingTop((node) => (node.depth === 1 && node.x1 - node.x0 > 70 ? 16 : 2))
    .paddingInner(1)
    .round(true)(root);

  const picture = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'group',
    'aria-label': `Treemap of ${report.name}: ${report.layers.length} layers, ${report.totals.paths} store paths, sized by bytes`,
    class: 'treemap',
  });
  for (const node of laid.children ?? []) drawLayer(picture, node, onSelect);
  container.replaceChildren(picture);
}

function drawLayer(
  picture: SVGSVGElement,
  node: HierarchyRectangularNode<Datum>,
  onSelect: (block: Block | null, pinned: boolean) => void,
): void {
  const layer = node.data.layer!;
  const group = svg('g', { class: 'layer', 'data-layer': layer.index });
  group.append(
    svg('rect', {
      x: node.x0,
      y: node.y0,
      width: node.x1 - node.x0,
      height: node.y1 - node.y0,
      class: 'layer-box',
    }),
  );
  if (node.x1 - node.x0 > 70) {
    const label = svg('text', { x: node.x0 + 4, y: node.y0 + 12, class: 'layer-label' });
    label.textContent = fit(`layer ${layer.index} · ${formatBytes(layer.narSize)}`, node.x1 - node.x0 - 8);
    group.append(label);
  }
  for (const leaf of node.children ?? []) {
    const path = leaf.data.path!;
    const w = leaf.x1 - leaf.x0;
    const hgt = leaf.y1 - leaf.y0;
    const block = svg('g', {
      class: 'block',
      tabindex: 0,
      role: 'button',
      'data-path': path.path,
      'data-layer': layer.index,
      'aria-label': `${path.name}, ${formatBytes(path.narSize)}, in layer ${layer.index}`,
    });
    block.append(
      svg('rect', {
        x: leaf.x0,
        y: leaf.y0,
        width: Math.max(w, 0),
        height: Math.max(hgt, 0),
        fill: layerColor(layer.index),
      }),
    );
    const title = svg('title', {});
    title.textContent = `${path.name} · ${formatBytes(path.narSize)} · layer ${layer.index}`;
    block.append(title);
    if (w > 40 && hgt > 14) {
      const text = svg('text', { x: leaf.x0 + 3, y: leaf.y0 + 12, class: 'block-label' });
      text.textContent = fit(path.name, w - 6);
      block.append(text);
    }
    const selected = { layer, path };
    block.addEventListener('mouseenter', () => onSelect(selected, false));
    block.addEventListener('focus', () => onSelect(selected, false));
    block.addEventListener('click', () => onSelect(selected, true));
    block.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        onSelect(selected, true);
      }
    });
    group.append(block);
  }
  picture.append(group);
}

/** Cuts a label to roughly the characters that fit `width` pixels of 11 px text. */
function fit(text: string, width: number): string {
  const chars = Math.floor(width / 6.4);
  if (text.length <= chars) return text;
  return chars <= 1 ? '' : `${text.slice(0, chars - 1)}…`;
}
