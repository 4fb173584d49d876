// A fresh clone stands alone: no tracked source, test, script or document points outside the
// repository, at the sibling shared folder or at an absolute path of someone's machine.
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '../..');
const SCOPE = ['test', 'src', 'scripts', 'docs', 'README.md'];

// Built from parts so this file does not match its own rules.
const sep = '/';
const RULES: { what: string; pattern: RegExp }[] = [
  { what: 'the shared folder beside the clone', pattern: new RegExp(`\\.\\.${sep}shared\\b`) },
  // An absolute path starts a word: not inside a URL (host/work/) or a relative path (../root/).
  { what: 'an absolute machine path', pattern: new RegExp(`(?<![\\w.~-])${sep}(?:${['work', 'root', 'Users'].join('|')})${sep}`) },
  { what: 'a home directory', pattern: new RegExp(`(?<![\\w.~-])${sep}home${sep}[\\w.-]+${sep}`) },
  { what: 'a Windows drive path', pattern: new RegExp('(?<![\\w\\\\])[A-Z]:' + '\\\\\\\\?(?=[A-Za-z])') },
];

function trackedFiles(): string[] | undefined {
  const git = Bun.spawnSync(['git', 'ls-files', '-z', '--', ...SCOPE], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
  if (git.exitCode !== 0) return undefined;
  return git.stdout.toString().split('\0').filter(Boolean);
}

let files: string[] | undefined;
try {
  files = trackedFiles();
} catch {
  files = undefined; // no git executable
}

if (!files) {
  console.log('paths: skipped — not a git checkout (git ls-files lists the files this check reads)');
  test.skip('tracked files point nowhere outside the repository (not a git checkout)', () => {});
} else {
  const tracked = files;
  test('tracked files point nowhere outside the repository', () => {
    const hits: string[] = [];
    for (const file of tracked) {
      let text: string;
      try {
        text = readFileSync(join(ROOT, file), 'utf8');
      } catch {
        continue; // tracked but deleted in the working tree
      }
      if (text.includes('\0')) continue; // binary
      text.split('\n').forEach((line, i) => {
        for (const rule of RULES) {
          const m = rule.pattern.exec(line);
          if (m) hits.push(`${file}:${i + 1}: ${rule.what} (${m[0]}): ${line.trim()}`);
        }
      });
    }
    expect(hits).toEqual([]);
  });
}
