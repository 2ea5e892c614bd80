/** Errors raised by the SDK; `code` carries the WIT error case when there is one. */
export class WarpGridError extends Error {
  readonly code: string;

  constructor(message: string, code: string) {
    super(message);
    this.name = 'WarpGridError';
    this.code = code;
  }
}

/**
 * ComponentizeJS turns an `err` result of an import into a thrown value whose
 * `payload` is the WIT error case (an enum string here). Returns that case, or
 * the error's message for anything else (a trap or a JS bug).
 */
export function witErrorCase(err: unknown): string {
  if (err && typeof err === 'object' && 'payload' in err) {
    return String((err as { payload: unknown }).payload);
  }
  return err instanceof Error ? err.message : String(err);
}
