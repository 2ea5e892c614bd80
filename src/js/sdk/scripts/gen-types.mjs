// `npm run gen-types`: regenerates src/generated/ from wit/ with jco `guest-types` (the pinned jco
// of third_party/js/componentize, after `npm ci` there), keeping only what the JS SDKs use: the
// warpgrid:shim interfaces and wasi:cli/environment (process.env). jco declares every interface
// the http-service world pulls in, and the WASI ones the SDKs never import (sockets, clocks,
// streams, ...) would only be dead declarations to keep in step with the WIT.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sdk = dirname(dirname(fileURLToPath(import.meta.url)));
const root = join(sdk, '..', '..', '..');
const out = join(sdk, 'src', 'generated');
const jco = join(root, 'third_party', 'js', 'componentize', 'node_modules', '@bytecodealliance', 'jco', 'src', 'jco.js');
const KEEP = /^(warpgrid-shim-.*|wasi-cli-environment)\.d\.ts$/;

rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [jco, 'guest-types', join(root, 'wit'), '--world-name', 'warpgrid:shim/http-service', '-o', out, '-q'], { stdio: 'inherit' });

const interfaces = join(out, 'interfaces');
for (const name of readdirSync(interfaces)) {
  if (!KEEP.test(name)) rmSync(join(interfaces, name));
}
// The world file references and re-exports every interface: keep the lines of the kept ones.
const world = join(out, 'http-service.d.ts');
const kept = readFileSync(world, 'utf8').split('\n').filter((line) => {
  const file = line.match(/^\/\/\/ <reference path="\.\/interfaces\/(.+)" \/>$/);
  if (file) return KEEP.test(file[1]);
  const module = line.match(/from '([^:]+):([^/]+)\/([^@']+)@/);
  return !module || KEEP.test(`${module[1]}-${module[2]}-${module[3]}.d.ts`);
});
writeFileSync(world, kept.join('\n'));
