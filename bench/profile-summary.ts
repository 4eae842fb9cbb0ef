/**
 * Summarises a V8 .cpuprofile (node --cpu-prof) or .heapprofile (--heap-prof):
 * the functions with the most self time (or bytes allocated), and the share per
 * file/package.
 *   npx tsx bench/profile-summary.ts bench/profiles/<file>.cpuprofile [top]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
const top = Number(topArg ?? 40);
const byId = new Map<number, Node>();
const self = new Map<number, number>();
const heap = file.endsWith('.heapprofile');
if (heap) {
  // Sampling heap profile: a tree whose nodes carry the bytes allocated by that frame.
  type HeapNode = Node & { selfSize: number; children?: HeapNode[] };
  const walk = (n: HeapNode) => {
    byId.set(n.id, n);
    self.set(n.id, n.selfSize);
    for (const c of n.children ?? []) walk(c);
  };
  walk((JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode }).head);
} else {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  for (const n of profile.nodes) byId.set(n.id, n);
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const where = (n: Node) => {
  const url = n.callFrame.url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  return pkg ?? (url ? url.replace(/^.*?\/(src|bench)\//, '$1/') : '(native)');
};
const fns = new Map<string, number>();
const files = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id)!;
  const name = `${n.callFrame.functionName || '(anonymous)'}  ${where(n)}:${n.callFrame.lineNumber + 1}`;
  fns.set(name, (fns.get(name) ?? 0) + t);
  files.set(where(n), (files.get(where(n)) ?? 0) + t);
}
const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)} %`;
console.log(heap ? `total ${(total / 2 ** 20).toFixed(1)} MB sampled\n\nby bytes allocated:` : `total ${(total / 1e6).toFixed(1)} s of samples\n\nby self time:`);
for (const [k, t] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${k}`);
console.log('\nby file / package:');
for (const [k, t] of [...files].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${pct(t)}  ${k}`);
