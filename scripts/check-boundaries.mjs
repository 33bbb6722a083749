#!/usr/bin/env node
// Package boundaries `pnpm lint` enforces (docs/ARCHITECTURE.md):
// 1. no library source file (packages/*/src) names a path outside its own package: every
//    relative path literal must resolve, from the file's folder, inside the package;
// 2. no workspace package imports another package's src/ internals, by a relative path or by a
//    deep `@nixery/<name>/…` specifier: only its entry point (shared test support is allowed).
// String literals are read with the TypeScript parser, so comments and prose do not count.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SKIP = new Set(['node_modules', 'dist', '.turbo', 'fixtures']);

function sourceFiles(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

function folders(parent) {
  return readdirSync(join(root, parent), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join(root, parent, e.name));
}

/** Every string literal of a file, with its line, and whether it is a module specifier. */
function literals(file) {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node)) {
      const parent = node.parent;
      const specifier =
        (ts.isImportDeclaration(parent) || ts.isExportDeclaration(parent)) && parent.moduleSpecifier === node
          ? true
          : ts.isCallExpression(parent) && parent.expression.kind === ts.SyntaxKind.ImportKeyword;
      const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      found.push({ value: node.text, line, specifier });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const inside = (folder, path) => path === folder || path.startsWith(folder + sep);
const packages = [
  ...folders('packages'),
  ...folders('apps'),
  join(root, 'e2e'),
  join(root, 'bench'),
  join(root, 'nix'),
];
const problems = [];

for (const pkg of packages) {
  const isLibrary = inside(join(root, 'packages'), pkg);
  for (const file of sourceFiles(pkg)) {
    const inLibrarySource = isLibrary && inside(join(pkg, 'src'), file);
    for (const { value, line, specifier } of literals(file)) {
      const where = `${relative(root, file)}:${line}`;
      if (specifier && /^@nixery\/[^/]+\/./.test(value)) {
        problems.push(`${where}: imports ${value}; import the package's entry point instead`);
        continue;
      }
      if (!/^\.\.?(\/|$)/.test(value)) continue;
      const target = resolve(dirname(file), value);
      if (inside(pkg, target)) continue;
      const other = packages.find((p) => inside(p, target));
      if (specifier && other !== undefined && inside(join(other, 'src'), target)) {
        problems.push(`${where}: imports ${value}, a file of ${relative(root, other)}; use its entry point`);
      } else if (inLibrarySource) {
        problems.push(
          `${where}: ${value} leaves ${relative(root, pkg)}; a library resolves only its own files`,
        );
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`Package boundaries (scripts/check-boundaries.mjs):\n${problems.join('\n')}`);
  process.exit(1);
}
