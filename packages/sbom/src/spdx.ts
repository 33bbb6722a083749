import { sha256Digest, sha256Hex } from '@nixery/digest';
import { SbomError } from './errors.js';
import { narHashHex } from './nar-hash.js';
import { describeSource, type SbomSource } from './source.js';
import { parseStorePath } from './store-path.js';

/** One store path of the image's closure (the fields of @nixery/layers' PathInfo the SBOM uses). */
export interface SbomPath {
  path: string;
  narHash: string;
  narSize: number;
  references: readonly string[];
}

export interface SbomInput {
  /** Canonical image name, e.g. `shell/git/htop`. */
  imageName: string;
  arch: string;
  /** Every store path in the image's layers. */
  closure: readonly SbomPath[];
  /** The requested packages: the name asked for and the store path it gave. */
  requested: readonly { name: string; path: string }[];
  source: SbomSource;
  /** The `Tool:` creator; default `nixery-ts`. */
  tool?: string;
}

export interface SbomDocument {
  /** The serialised document (what is stored and served). */
  bytes: Buffer;
  /** `sha256:<hex>` of `bytes`. */
  digest: string;
  document: SpdxDocument;
}

/** The SPDX 2.3 fields this package writes (a subset of the spec). */
export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  comment: string;
  creationInfo: { created: string; creators: string[]; comment: string };
  packages: SpdxPackage[];
  relationships: SpdxRelationship[];
}

export interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  /** The store path: SPDX's "path of the directory treated as a package". */
  packageFileName: string;
  downloadLocation: 'NOASSERTION';
  filesAnalyzed: false;
  checksums: { algorithm: 'SHA256'; checksumValue: string }[];
  externalRefs: { referenceCategory: 'PACKAGE-MANAGER'; referenceType: 'purl'; referenceLocator: string }[];
  comment: string;
}

export interface SpdxRelationship {
  spdxElementId: string;
  relationshipType: 'DESCRIBES' | 'DEPENDS_ON';
  relatedSpdxElement: string;
}

export const SPDX_MEDIA_TYPE = 'application/spdx+json';

/**
 * No wall-clock time: the same closure must give the same bytes (and so the same digest), and
 * the image config's own `created` is fixed at the epoch for the same reason.
 */
const CREATED = '1970-01-01T00:00:00Z';
/** A reserved top-level domain: the namespace is a name, never a place to fetch. */
const NAMESPACE_BASE = 'https://nixery.invalid/spdx/';

/**
 * The SPDX 2.3 JSON document of an image's closure: one package per store path (sorted by path),
 * the document DESCRIBES the requested packages, and each reference is a DEPENDS_ON.
 * The document namespace is derived from the rest of the content, so it is unique per closure
 * and reproducible.
 */
export function buildSpdxDocument(input: SbomInput): SbomDocument {
  const closure = [...input.closure].sort((a, b) => compare(a.path, b.path));
  const ids = new Map<string, string>();
  for (const entry of closure) {
    if (ids.has(entry.path)) throw new SbomError(`the closure lists ${entry.path} twice`);
    ids.set(entry.path, spdxIdOf(entry.path, ids.size));
  }
  const idOf = (path: string, what: string): string => {
    const id = ids.get(path);
    if (id === undefined) throw new SbomError(`${what} ${path} is not in the image's closure`);
    return id;
  };

  const requestedAs = new Map<string, string[]>();
  for (const { name, path } of input.requested) {
    idOf(path, 'requested package');
    requestedAs.set(path, [...(requestedAs.get(path) ?? []), name]);
  }

  const packages = closure.map((entry) =>
    spdxPackage(entry, idOf(entry.path, 'path'), requestedAs.get(entry.path)),
  );
  const describes: SpdxRelationship[] = [...requestedAs.keys()].map((path) => ({
    spdxElementId: 'SPDXRef-DOCUMENT',
    relationshipType: 'DESCRIBES',
    relatedSpdxElement: idOf(path, 'requested package'),
  }));
  const dependsOn: SpdxRelationship[] = [];
  for (const entry of closure) {
    const from = idOf(entry.path, 'path');
    const targets = new Set(entry.references.filter((r) => r !== entry.path));
    for (const reference of [...targets].sort(compare)) {
      dependsOn.push({
        spdxElementId: from,
        relationshipType: 'DEPENDS_ON',
        relatedSpdxElement: idOf(reference, `a reference of ${entry.path},`),
      });
    }
  }

  const source = describeSource(input.source);
  const document: SpdxDocument = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${input.imageName} (${input.arch})`,
    documentNamespace: '',
    comment: `The Nix runtime closure of the container image ${input.imageName} for ${input.arch}, built from ${source}.`,
    creationInfo: {
      created: CREATED,
      creators: [`Tool: ${input.tool ?? 'nixery-ts'}`],
      comment: 'created is fixed so that the same closure always gives the same document.',
    },
    packages,
    relationships: [...describes, ...dependsOn],
  };
  // The namespace is the hash of the document without it. The document is serialised once (for
  // thousands of paths that is megabytes): the empty namespace is the first field of that name
  // (the packages come later), and its value is spliced into the bytes.
  const unnamed = Buffer.from(serialise(document));
  document.documentNamespace = `${NAMESPACE_BASE}${sha256Hex(unnamed)}`;
  const at = unnamed.indexOf(UNNAMED_FIELD);
  const bytes = Buffer.concat([
    unnamed.subarray(0, at),
    Buffer.from(`"documentNamespace": ${JSON.stringify(document.documentNamespace)}`),
    unnamed.subarray(at + UNNAMED_FIELD.length),
  ]);
  return { bytes, digest: sha256Digest(bytes), document };
}

function spdxPackage(entry: SbomPath, id: string, requestedAs: string[] | undefined): SpdxPackage {
  const { name, version } = parseStorePath(entry.path);
  if (!Number.isSafeInteger(entry.narSize) || entry.narSize < 0)
    throw new SbomError(`${entry.path} has NAR size ${entry.narSize}, expected a non-negative integer`);
  const purl = `pkg:nix/${encodeURIComponent(name)}${version === null ? '' : `@${encodeURIComponent(version)}`}`;
  const requested = requestedAs ? `; requested as ${requestedAs.join(', ')}` : '';
  return {
    SPDXID: id,
    name,
    ...(version === null ? {} : { versionInfo: version }),
    packageFileName: entry.path,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    checksums: [{ algorithm: 'SHA256', checksumValue: narHashHex(entry.narHash) }],
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl }],
    comment: `Nix store path; the checksum is its NAR hash (${entry.narHash}); NAR size ${entry.narSize} bytes${requested}`,
  };
}

/** Store hashes are unique within a closure and are already `[0-9a-z]`, which SPDX ids allow. */
function spdxIdOf(path: string, position: number): string {
  const { hash } = parseStorePath(path);
  return hash === '' ? `SPDXRef-Path-${position}` : `SPDXRef-StorePath-${hash}`;
}

const UNNAMED_FIELD = '"documentNamespace": ""';

function serialise(document: SpdxDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Code-unit order: the same in every locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
