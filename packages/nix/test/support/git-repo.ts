// Git repositories for tests of git package sources (pinned by commit): git run under a fixed
// identity, so no user or global git configuration is needed.
import { execFileSync } from 'node:child_process';

const IDENTITY = {
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@t',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@t',
};

/** git in `repo`: runs a command and returns its output, trimmed. */
export function gitIn(repo: string): (...args: string[]) => string {
  return (...args) =>
    execFileSync('git', ['-C', repo, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...IDENTITY },
    }).trim();
}

/** Makes `dir` a repository on `main` with everything in it committed; returns the commit. */
export function commitFolder(dir: string): string {
  const git = gitIn(dir);
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'package set');
  return git('rev-parse', 'HEAD');
}
