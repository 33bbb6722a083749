import { describe, expect, test } from 'vitest';
import { resolveSettings } from '../src/settings.js';

describe('resolveSettings', () => {
  test("passes the source, Nix and layer flags on over the environment, and no command's own flags", () => {
    const flags = {
      pkgsPath: '/pkgs',
      nixTimeout: '7',
      substituters: 'https://cache.example',
      extraPlatforms: 'aarch64-linux',
      layerBudget: '50',
      strategy: 'nixery',
      gzipLevel: '1',
      platforms: 'linux/amd64',
      // A command's own flag, named like a setting: not the CLI's to set.
      port: '1',
    };
    const env = { NIX_TIMEOUT: '99', NIXERY_STORAGE_BACKEND: 'gcs', GCS_BUCKET: 'b' };
    const config = resolveSettings(flags, '/cache', env);
    expect(config.source).toEqual({ kind: 'path', path: '/pkgs' });
    expect(config.nixTimeoutSeconds).toBe(7);
    expect(config.nixSubstituters).toBe('https://cache.example');
    expect(config.nixExtraPlatforms).toEqual(['aarch64-linux']);
    expect(config.layerBudget).toBe(50);
    expect(config.layerStrategy).toBe('nixery');
    expect(config.gzipLevel).toBe(1);
    expect(config.platforms.map((p) => p.architecture)).toEqual(['amd64']);
    expect(config.port).toBe(8080);
    // The CLI works in its local cache folder, whatever backend the environment names.
    expect(config.storage).toEqual({ backend: 'filesystem', path: '/cache' });
  });
});
