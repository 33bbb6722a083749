/** Docker image manifest, schema 2. */
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

export type ManifestFormat = 'docker' | 'oci';

export interface FormatMediaTypes {
  manifest: string;
  config: string;
  layer: string;
}

/** Every media type of one format; a manifest only ever uses the types of its own format. */
export const MEDIA_TYPES: Readonly<Record<ManifestFormat, Readonly<FormatMediaTypes>>> = Object.freeze({
  docker: Object.freeze({ manifest: DOCKER_MANIFEST, config: DOCKER_CONFIG, layer: DOCKER_LAYER_GZIP }),
  oci: Object.freeze({ manifest: OCI_MANIFEST, config: OCI_CONFIG, layer: OCI_LAYER_GZIP }),
});

/** The format a manifest media type belongs to, or null for anything else (lists, indexes, schema 1). */
export function formatOfManifestType(mediaType: string): ManifestFormat | null {
  if (mediaType === DOCKER_MANIFEST) return 'docker';
  if (mediaType === OCI_MANIFEST) return 'oci';
  return null;
}
