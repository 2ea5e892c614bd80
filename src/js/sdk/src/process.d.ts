/** `process.env` as installed by `@warpgrid/sdk` (ComponentizeJS has no Node `process`). */
declare var process: { env: Record<string, string | undefined> };
