// Rewrites the configuration table of the root README from the settings table.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withReadmeTable } from '../src/index.js';

const readme = fileURLToPath(new URL('../../../README.md', import.meta.url));
writeFileSync(readme, withReadmeTable(readFileSync(readme, 'utf8')));
