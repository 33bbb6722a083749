import type { NixResult, PackageProblem } from '@nixery/nix';
import { ImageError } from './errors.js';

/** How a failed Nix run is reported, for every caller of Nix (the builder, the CLI's `layers`). */
export function imageErrorFromNix(result: Exclude<NixResult, { ok: true }>): ImageError {
  switch (result.kind) {
    case 'unknown-packages':
      return new ImageError(
        'unknown-packages',
        `unknown package${result.names.length === 1 ? '' : 's'}: ${result.names.join(', ')}`,
        { packages: result.names },
      );
    case 'package-problems':
      return packageProblemsError(result.problems);
    case 'unsupported-system':
      return new ImageError('unsupported-system', result.message, {
        system: result.system,
      });
    case 'timeout':
      return new ImageError('timeout', TIMEOUT_MESSAGES[result.step](result.seconds), {
        reason: 'timeout',
        step: result.step,
        log: result.logTail,
      });
    case 'build-failed': {
      const why = firstLine(result.errors.at(-1));
      // Nix's error line usually names the derivation already ("builder for '…drv' failed …").
      const drv = result.derivation && !why.includes(result.derivation) ? ` (${result.derivation})` : '';
      const message = `Nix failed to build the image${drv}${why ? `: ${why}` : ''}`;
      return new ImageError('build-failed', message, {
        reason: 'build-failed',
        ...(result.derivation ? { derivation: result.derivation } : {}),
        errors: result.errors,
        log: result.logTail,
      });
    }
    case 'evaluation-failed': {
      const why = firstLine(result.errors.at(-1));
      return new ImageError(
        'evaluation-failed',
        `Nix could not evaluate the package set${why ? `: ${why}` : ''}`,
        { reason: 'evaluation-failed', errors: result.errors, log: result.logTail },
      );
    }
    case 'nix-missing':
      return new ImageError('nix-missing', result.message, {
        reason: 'nix-missing',
      });
  }
}

const TIMEOUT_MESSAGES = {
  evaluation: (s: number) => `evaluating the package set timed out after ${s} s (NIXERY_EVAL_TIMEOUT)`,
  build: (s: number) =>
    `building the image timed out after ${s} s (NIX_TIMEOUT bounds each build and its silence)`,
  'path-info': (s: number) => `reading the closure from the Nix store timed out after ${s} s`,
};

const HOW_TO_ALLOW: Record<string, string> = {
  unfree: 'An operator allows unfree packages with NIXERY_ALLOW_UNFREE=1 (nixery serve --allow-unfree)',
  broken: "This registry keeps nixpkgs' refusal of broken packages",
  insecure: "This registry keeps nixpkgs' refusal of insecure packages",
  'unsupported-platform': 'The package does not support the requested system',
  other: "This registry keeps nixpkgs' refusal",
};

/**
 * One error for every failing name. The reason follows the gravest problem: an evaluation error
 * (the package set is at fault) over a refusal (policy) over removed over unknown.
 */
function packageProblemsError(problems: PackageProblem[]): ImageError {
  const lines = problems.map(describeProblem);
  const detail = {
    packages: problems.map((p) => p.name),
    problems: problems.map((p) => ({
      name: p.name,
      problem: p.kind,
      ...(p.attr !== undefined ? { attr: p.attr } : {}),
      ...(p.refusal !== undefined ? { refusal: p.refusal } : {}),
      ...(p.message !== '' ? { message: p.message } : {}),
    })),
  };
  const message = lines.join('; ');
  if (problems.some((p) => p.kind === 'eval-error')) {
    return new ImageError('evaluation-failed', message, detail);
  }
  if (problems.some((p) => p.kind === 'refused')) {
    return new ImageError('packages-refused', message, detail);
  }
  if (problems.some((p) => p.kind === 'removed')) {
    return new ImageError('packages-removed', message, detail);
  }
  return new ImageError('unknown-packages', message, detail);
}

function describeProblem(p: PackageProblem): string {
  const why = firstLine(p.message);
  switch (p.kind) {
    case 'unknown':
      return `unknown package: ${p.name}`;
    case 'removed':
      return `${p.name} is not in the package set any more: ${why}`;
    case 'refused':
      return `${p.name} is refused (${p.refusal ?? 'other'}): ${why}. ${HOW_TO_ALLOW[p.refusal ?? 'other']}`;
    case 'eval-error':
      return `${p.name} failed to evaluate: ${why}`;
  }
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0]?.trim() ?? '';
}
