// Module resolution hook (see register.mjs): warpgrid:shim/<interface>@<version> -> ./<interface>.mjs.
export async function resolve(specifier, context, nextResolve) {
  const shim = specifier.match(/^warpgrid:shim\/([a-z-]+)@[0-9.]+$/);
  if (shim) return { url: new URL(`./${shim[1]}.mjs`, import.meta.url).href, shortCircuit: true };
  return nextResolve(specifier, context);
}
