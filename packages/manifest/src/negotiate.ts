import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  type ManifestFormat,
  OCI_INDEX,
  OCI_MANIFEST,
} from './media-types.js';

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
  position: number;
}

/** Parses an Accept header (one string, or several header lines) into media ranges. */
export function parseAccept(accept: string | string[] | undefined | null): MediaRange[] {
  const lines = accept == null ? [] : Array.isArray(accept) ? accept : [accept];
  const ranges: MediaRange[] = [];
  for (const part of lines.flatMap((line) => line.split(','))) {
    const [mediaType = '', ...parameters] = part.split(';').map((piece) => piece.trim());
    const [type, subtype] = mediaType.toLowerCase().split('/');
    if (!type || !subtype) continue;
    let q = 1;
    for (const parameter of parameters) {
      const [name, value] = parameter.split('=').map((piece) => piece.trim());
      if (name?.toLowerCase() === 'q' && value !== undefined) {
        const parsed = Number(value);
        q = Number.isFinite(parsed) ? Math.min(Math.max(parsed, 0), 1) : 0;
      }
    }
    ranges.push({ type, subtype, q, position: ranges.length });
  }
  return ranges;
}

interface Preference {
  q: number;
  position: number;
}

/** How much the client wants `mediaType`: the most specific matching range decides (RFC 9110). */
function preferenceFor(mediaType: string, ranges: MediaRange[]): Preference | null {
  const [type, subtype] = mediaType.split('/');
  let best: { specificity: number; range: MediaRange } | null = null;
  for (const range of ranges) {
    let specificity = -1;
    if (range.type === type && range.subtype === subtype) specificity = 2;
    else if (range.type === type && range.subtype === '*') specificity = 1;
    else if (range.type === '*' && range.subtype === '*') specificity = 0;
    if (specificity < 0) continue;
    if (!best || specificity > best.specificity) best = { specificity, range };
  }
  return best && best.range.q > 0 ? { q: best.range.q, position: best.range.position } : null;
}

/**
 * Picks the manifest format for a client's Accept header: the higher q-value wins; on a tie the
 * type listed first wins (podman and skopeo list OCI first, containerd lists Docker first);
 * when nothing distinguishes them (no Accept, `*\/*` alone) Docker schema 2 is served, as
 * most registries do and as Nixery always did. If the client accepts neither single-image
 * manifest type (e.g. only manifest lists), the answer is Docker schema 2 as well.
 */
export function negotiateManifestFormat(accept: string | string[] | undefined | null): ManifestFormat {
  const ranges = parseAccept(accept);
  const docker = preferenceFor(DOCKER_MANIFEST, ranges);
  const oci = preferenceFor(OCI_MANIFEST, ranges);
  if (!oci) return 'docker';
  if (!docker) return 'oci';
  if (oci.q !== docker.q) return oci.q > docker.q ? 'oci' : 'docker';
  return oci.position < docker.position ? 'oci' : 'docker';
}

/** The client's preference for exactly this media type (no wildcard), or null. */
function explicitPreference(mediaType: string, ranges: MediaRange[]): Preference | null {
  const [type, subtype] = mediaType.split('/');
  const range = ranges.find((r) => r.type === type && r.subtype === subtype);
  return range && range.q > 0 ? { q: range.q, position: range.position } : null;
}

/**
 * The index format a client asks for: an OCI image index or a Docker manifest list, when its
 * Accept names that type itself (a wildcard does not count: clients that know indexes list them,
 * and an old client sending `*\/*` must keep getting a single manifest). When both are named,
 * the higher q-value wins; on a tie the family of the single manifest it would get
 * (negotiateManifestFormat), so a client preferring OCI manifests gets an OCI index even when it
 * lists the Docker list first, as containers/image (skopeo, podman) does.
 * null: the client wants a single manifest.
 */
export function negotiateIndexFormat(accept: string | string[] | undefined | null): ManifestFormat | null {
  const ranges = parseAccept(accept);
  const docker = explicitPreference(DOCKER_MANIFEST_LIST, ranges);
  const oci = explicitPreference(OCI_INDEX, ranges);
  if (!oci) return docker ? 'docker' : null;
  if (!docker) return 'oci';
  if (oci.q !== docker.q) return oci.q > docker.q ? 'oci' : 'docker';
  return negotiateManifestFormat(accept);
}
