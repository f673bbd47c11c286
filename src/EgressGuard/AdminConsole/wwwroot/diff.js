// A line diff (longest common subsequence) of two texts, for the rules history.

/** [{ kind: 'same' | 'add' | 'del', text }] turning a into b. */
export function diffLines(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  // Trim the common head and tail first: history versions usually differ in a few lines.
  let start = 0;
  while (start < x.length && start < y.length && x[start] === y[start]) start++;
  let endX = x.length;
  let endY = y.length;
  while (endX > start && endY > start && x[endX - 1] === y[endY - 1]) { endX--; endY--; }
  const mx = x.slice(start, endX);
  const my = y.slice(start, endY);
  const out = x.slice(0, start).map((text) => ({ kind: 'same', text }));
  if (mx.length * my.length > 4_000_000) {
    // Too large for the table: show it as removed then added.
    out.push(...mx.map((text) => ({ kind: 'del', text })), ...my.map((text) => ({ kind: 'add', text })));
  } else {
    const n = mx.length;
    const m = my.length;
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i][j] = mx[i] === my[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && mx[i] === my[j]) { out.push({ kind: 'same', text: mx[i] }); i++; j++; }
      else if (j < m && (i >= n || lcs[i][j + 1] >= lcs[i + 1][j])) { out.push({ kind: 'add', text: my[j] }); j++; }
      else { out.push({ kind: 'del', text: mx[i] }); i++; }
    }
  }
  out.push(...x.slice(endX).map((text) => ({ kind: 'same', text })));
  return out;
}
