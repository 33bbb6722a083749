import { defaultText, settingList } from './table.js';

export const README_TABLE_START =
  '<!-- settings table: made from @nixery/config; pnpm config-table rewrites it -->';
export const README_TABLE_END = '<!-- end of settings table -->';

/** The README's configuration table, one row per setting of the table. */
export function readmeTable(): string {
  const rows = settingList().map(([, spec]) => {
    const flag = spec.flag === undefined ? '' : `\`${spec.flag.split(' ')[0]}\``;
    const fallback = defaultText(spec);
    return `| \`${spec.env}\` | ${flag} | ${fallback === undefined ? '' : fallback.includes(' ') ? fallback : `\`${fallback}\``} | ${spec.readme} |`;
  });
  return [
    '| variable | flag of `nixery serve` | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The text with the part between the markers replaced by the current table. */
export function withReadmeTable(text: string): string {
  const start = text.indexOf(README_TABLE_START);
  const end = text.indexOf(README_TABLE_END);
  if (start < 0 || end < start) throw new Error('the README has no settings-table markers');
  return `${text.slice(0, start + README_TABLE_START.length)}\n${readmeTable()}\n${text.slice(end)}`;
}
