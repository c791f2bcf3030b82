#!/usr/bin/env node
// Checks the import graph of lib/: no cycles among relative imports (type-only imports
// included: a cycle of types is a cycle of design), and dependencies that point down:
// nothing in lib/core imports lib/store, lib/nest, lib/cli or a Nest package.
// Exits 1 with one line per problem. Usage: node scripts/check-imports.mjs [lib dir]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const lib = resolve(process.argv[2] ?? join(root, 'lib'));

/** Layers `lib/core` must not import, relative to lib/, and packages it must not import. */
const CORE_FORBIDDEN_DIRS = ['store', 'nest', 'cli'];
const CORE_FORBIDDEN_PACKAGE = /^@nestjs\//;

/** Every .ts source under `dir`, specs and declaration files left out. */
function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

// `import … from 'x'`, `export … from 'x'`, `import 'x'`, `import('x')`; comments stripped first.
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"\n]+)\1/g;

function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** The specifiers a file imports. */
function specifiers(file) {
  const text = stripComments(readFileSync(file, 'utf8'));
  return [...text.matchAll(IMPORT)].map((m) => m[2]);
}

/** The file a relative specifier names (`./a.js` -> `a.ts`, `./dir` -> `dir/index.ts`). */
function resolveRelative(from, spec) {
  const base = resolve(dirname(from), spec);
  const candidates = [base.replace(/\.(m|c)?js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => {
    try {
      return statSync(c).isFile();
    } catch {
      return false;
    }
  });
}

const files = sources(lib);
const graph = new Map();
const problems = [];
const rel = (f) => relative(root, f).split(sep).join('/');

for (const file of files) {
  const edges = [];
  const inCore = relative(lib, file).split(sep)[0] === 'core';
  for (const spec of specifiers(file)) {
    if (spec.startsWith('.')) {
      const target = resolveRelative(file, spec);
      if (!target) {
        problems.push(`${rel(file)}: cannot resolve '${spec}'`);
        continue;
      }
      edges.push(target);
      const layer = relative(lib, target).split(sep)[0];
      if (inCore && CORE_FORBIDDEN_DIRS.includes(layer)) {
        problems.push(`${rel(file)}: lib/core must not import lib/${layer} ('${spec}')`);
      }
    } else if (inCore && CORE_FORBIDDEN_PACKAGE.test(spec)) {
      problems.push(`${rel(file)}: lib/core must not import ${spec}`);
    }
  }
  graph.set(file, edges);
}

// Cycles: Tarjan's strongly connected components; each component of more than one file
// (or a file importing itself) is reported once, with one cycle through it.
let index = 0;
const stack = [];
const onStack = new Set();
const indices = new Map();
const lowlinks = new Map();
const components = [];

function connect(v) {
  indices.set(v, index);
  lowlinks.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!indices.has(w)) {
      connect(w);
      lowlinks.set(v, Math.min(lowlinks.get(v), lowlinks.get(w)));
    } else if (onStack.has(w)) {
      lowlinks.set(v, Math.min(lowlinks.get(v), indices.get(w)));
    }
  }
  if (lowlinks.get(v) === indices.get(v)) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component);
  }
}

for (const file of graph.keys()) if (!indices.has(file)) connect(file);

/** A shortest path from `start` back to itself inside `members`. */
function cycleThrough(start, members) {
  const inside = new Set(members);
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = previous.get(u)) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

for (const component of components) {
  const start = component.sort()[0];
  problems.push(`import cycle: ${cycleThrough(start, component).map(rel).join(' -> ')}`);
}

if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  console.error(`check-imports: ${problems.length} problem(s) in ${files.length} files`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} files, no cycles, lib/core imports nothing above it`);
