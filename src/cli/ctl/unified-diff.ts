// A unified diff of two texts (line based, longest common subsequence; manifests are small), with
// three lines of context, as `diff -u` prints it.

type Op = { tag: ' ' | '-' | '+'; line: string; a: number; b: number };

function ops(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) out.push({ tag: ' ', line: a[i], a: i++, b: j++ });
    else if (j < m && (i === n || lcs[i][j + 1] > lcs[i + 1][j])) out.push({ tag: '+', line: b[j], a: i, b: j++ });
    else out.push({ tag: '-', line: a[i], a: i++, b: j });
  }
  return out;
}

/** The diff, or "" when the texts are equal. */
export function unifiedDiff(before: string, after: string, fromName: string, toName: string, context = 3): string {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const b = after === '' ? [] : after.replace(/\n$/, '').split('\n');
  const all = ops(a, b);
  const changed = all.map((o, k) => (o.tag !== ' ' ? k : -1)).filter((k) => k >= 0);
  if (!changed.length) return '';
  const hunks: [number, number][] = [];
  for (const k of changed) {
    const start = Math.max(0, k - context);
    const end = Math.min(all.length - 1, k + context);
    const last = hunks[hunks.length - 1];
    if (last && start <= last[1] + 1) last[1] = end;
    else hunks.push([start, end]);
  }
  const lines = [`--- ${fromName}`, `+++ ${toName}`];
  for (const [s, e] of hunks) {
    const part = all.slice(s, e + 1);
    const aLen = part.filter((o) => o.tag !== '+').length;
    const bLen = part.filter((o) => o.tag !== '-').length;
    const aStart = aLen ? part[0].a + 1 : part[0].a;
    const bStart = bLen ? part[0].b + 1 : part[0].b;
    lines.push(`@@ -${aStart},${aLen} +${bStart},${bLen} @@`, ...part.map((o) => `${o.tag}${o.line}`));
  }
  return lines.join('\n') + '\n';
}
