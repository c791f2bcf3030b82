// The ESM half of hide-repo-modules.mjs: `import` of a file in a hidden folder fails as not found.
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let hidden = [];
let logFile;

export function initialize(data) {
  hidden = data.hidden;
  logFile = data.logFile;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (result.url.startsWith('file:')) {
    const file = fileURLToPath(result.url);
    if (hidden.some((dir) => file.startsWith(dir))) {
      if (logFile) appendFileSync(logFile, `${specifier} -> ${file}\n`);
      const err = new Error(`Cannot find package '${specifier}' (test:compat hides the repository's node_modules)`);
      err.code = 'ERR_MODULE_NOT_FOUND';
      throw err;
    }
  }
  return result;
}
