import { describe, expect, test } from 'vitest';
import { imageEnv, negotiateManifestFormat } from '../src/index.js';

const DOCKER = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const OCI = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

describe('negotiateManifestFormat', () => {
  // Real clients' Accept lists:
  // - containerd 1.6 (ctr, kubelet) joins them into one header, Docker types first, then */*.
  // - podman and skopeo (containers/image DefaultRequestedManifestMIMETypes) send one header per
  //   type, OCI first, no q-values; Node joins repeated headers with ", ".
  const containerd = [DOCKER, DOCKER_LIST, OCI, OCI_INDEX, '*/*'].join(', ');
  const containersImage = [
    OCI,
    DOCKER,
    'application/vnd.docker.distribution.manifest.v1+prettyjws',
    'application/vnd.docker.distribution.manifest.v1+json',
    DOCKER_LIST,
    OCI_INDEX,
  ];

  test.each([
    ['no Accept header', undefined, 'docker'],
    ['empty Accept header', '', 'docker'],
    ['*/* only', '*/*', 'docker'],
    ['application/* only', 'application/*', 'docker'],
    ['Docker only', DOCKER, 'docker'],
    ['OCI only', OCI, 'oci'],
    ['OCI only, with a wildcard behind it', `${OCI}, */*;q=0.1`, 'oci'],
    ['both, Docker listed first', `${DOCKER}, ${OCI}`, 'docker'],
    ['both, OCI listed first', `${OCI}, ${DOCKER}`, 'oci'],
    ['q-values beat order (OCI preferred)', `${DOCKER};q=0.5, ${OCI}`, 'oci'],
    ['q-values beat order (Docker preferred)', `${OCI};q=0.8, ${DOCKER};q=0.9`, 'docker'],
    ['q=0 refuses a type even if a wildcard allows everything', `${DOCKER};q=0, */*`, 'oci'],
    ['case and spacing do not matter', ` Application/VND.OCI.Image.Manifest.v1+JSON ; Q=1 `, 'oci'],
    ['only list types: fall back to Docker', `${DOCKER_LIST}, ${OCI_INDEX}`, 'docker'],
    ['containerd', containerd, 'docker'],
    ['podman / skopeo as separate header lines', containersImage, 'oci'],
    ['podman / skopeo joined by Node', containersImage.join(', '), 'oci'],
  ] as const)('%s → %s', (_label, accept, expected) => {
    expect(negotiateManifestFormat(accept as string | string[] | undefined)).toBe(expected);
  });

  test('is stable: a HEAD and a GET with the same Accept choose the same format', () => {
    for (const accept of [containerd, containersImage.join(', '), undefined]) {
      expect(negotiateManifestFormat(accept)).toBe(negotiateManifestFormat(accept));
    }
  });
});

describe('imageEnv', () => {
  test('PATH always, SSL_CERT_FILE with cacert, Cmd bash with bashInteractive', () => {
    expect(imageEnv({ packages: ['bashInteractive', 'cacert', 'coreutils', 'iana-etc'] })).toEqual({
      env: ['PATH=/bin:/usr/bin', 'SSL_CERT_FILE=/etc/ssl/certs/ca-bundle.crt'],
      cmd: ['bash'],
    });
    expect(imageEnv({ packages: ['hello'] })).toEqual({ env: ['PATH=/bin:/usr/bin'] });
    expect(imageEnv({ packages: ['hello'], hasCacert: true }).env).toContain(
      'SSL_CERT_FILE=/etc/ssl/certs/ca-bundle.crt',
    );
    expect(imageEnv({ packages: ['cacert'], hasCacert: false }).env).toEqual(['PATH=/bin:/usr/bin']);
    // Only the interactive bash gets Cmd, as in Nixery (plain `bash` has no readline).
    expect(imageEnv({ packages: ['bash'] }).cmd).toBeUndefined();
  });
});
