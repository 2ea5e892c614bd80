/**
 * The backend for the current mode. `#backend` is resolved by the package's `imports` map:
 * Bun's runtime resolver matches the `bun` condition (native backend); the WarpGrid bundle
 * (`bun build --target=browser`) does not, and gets the component backend. The first use
 * checks that the resolved backend matches the mode detected at run time.
 */
import { backend as resolved } from '#backend';
import { checkBackend } from './mode.ts';
import type { Backend } from './types.ts';

let checked = false;

export function backend(): Backend {
  if (!checked) {
    checkBackend(resolved.mode);
    checked = true;
  }
  return resolved;
}
