// Loaded with `node --import` into every process of `npm run test:compat` (test/compat/run.mjs).
// The scratch install lives inside the repository (var/compat/), so a package missing from it
// would silently be found by walking up to the repository's own node_modules (the newest
// versions). This makes that folder invisible: resolving into it fails as "not found" (what a
// real app without the package gets) and is written to RQ_COMPAT_HIDDEN_LOG for the runner.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

const hidden = JSON.parse(process.env.RQ_COMPAT_HIDE ?? '[]');
const logFile = process.env.RQ_COMPAT_HIDDEN_LOG;

function isHidden(file) {
  return hidden.some((dir) => file.startsWith(dir));
}

function note(specifier, file) {
  if (logFile) appendFileSync(logFile, `${specifier} -> ${file}\n`);
}

// require() (CommonJS, and what CommonJS packages load).
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const file = resolveFilename.call(this, request, ...rest);
  if (typeof file === 'string' && isHidden(file)) {
    note(request, file);
    const err = new Error(`Cannot find module '${request}' (test:compat hides the repository's node_modules)`);
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return file;
};

// import (ESM), through a resolve hook on the loader thread.
register('./hide-repo-modules.hooks.mjs', import.meta.url, { data: { hidden, logFile } });
