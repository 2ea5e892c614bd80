/**
 * `Bun.file(path)` for components: a read-only BunFile backed by a reader function (the
 * host's virtual files through the filesystem shim, see index.ts). Pure, so `bun test`
 * checks it against real Bun.file behaviour without a host.
 *
 * Reads are lazy (a BunFile may be created in module top-level code, which runs at build
 * time, where host calls are not allowed) and each read asks the host again.
 */

/** Returns the whole file, or undefined when there is no such file. */
export type FileReader = (path: string) => Uint8Array | undefined;

const MIME: Record<string, string> = {
  txt: 'text/plain;charset=utf-8', html: 'text/html;charset=utf-8', htm: 'text/html;charset=utf-8',
  css: 'text/css;charset=utf-8', js: 'text/javascript;charset=utf-8', mjs: 'text/javascript;charset=utf-8',
  json: 'application/json;charset=utf-8', wasm: 'application/wasm', png: 'image/png',
  jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', svg: 'image/svg+xml', webp: 'image/webp',
  ico: 'image/x-icon', csv: 'text/csv', md: 'text/markdown', xml: 'application/xml', pdf: 'application/pdf',
};

/** The MIME type Bun reports for a path (by extension; Bun's own table for these extensions). */
export function mimeType(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return (dot > 0 && MIME[base.slice(dot + 1).toLowerCase()]) || 'application/octet-stream';
}

/** The error Bun raises for a missing file (same name, code, errno, syscall, message). */
export function enoent(path: string): Error {
  const err = new Error(`ENOENT: no such file or directory, open '${path}'`) as Error & Record<string, unknown>;
  err.code = 'ENOENT';
  err.errno = -2;
  err.syscall = 'open';
  err.path = path;
  return err;
}

/** The error for writes: a component's files are the host's read-only virtual files. */
export function erofs(path: string, op: string): Error {
  const err = new Error(`EROFS: read-only file system, ${op} '${path}' (WarpGrid components see the host's read-only virtual files)`) as Error & Record<string, unknown>;
  err.code = 'EROFS';
  err.errno = -30;
  err.syscall = op;
  err.path = path;
  return err;
}

export class WarpGridBunFile {
  readonly name: string;
  readonly type: string;

  constructor(private readonly path: string, private readonly reader: FileReader, options: { type?: string } = {}) {
    this.name = path;
    this.type = options.type ?? mimeType(path);
  }

  private read(): Uint8Array {
    const data = this.reader(this.path);
    if (data === undefined) throw enoent(this.path);
    return data;
  }

  /** Bytes in the file; 0 when it does not exist (as in Bun). */
  get size(): number {
    return this.reader(this.path)?.length ?? 0;
  }

  /** Virtual files have no modification time; Bun reports the epoch-ms mtime, here the read time. */
  get lastModified(): number {
    return Date.now();
  }

  async exists(): Promise<boolean> {
    return this.reader(this.path) !== undefined;
  }

  async bytes(): Promise<Uint8Array> {
    return this.read();
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const data = this.read();
    return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(this.read());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  stream(): ReadableStream<Uint8Array> {
    const file = this;
    return new ReadableStream<Uint8Array>({
      start(controller) {
        try {
          controller.enqueue(file.read());
          controller.close();
        } catch (err) {
          controller.error(err);
        }
      },
    });
  }

  slice(begin = 0, end?: number, type?: string): WarpGridBunFile {
    const parent = this.reader;
    return new WarpGridBunFile(this.path, (p) => parent(p)?.slice(begin, end), { type: type ?? this.type });
  }

  async write(): Promise<number> {
    throw erofs(this.path, 'open');
  }

  writer(): never {
    throw erofs(this.path, 'open');
  }

  async delete(): Promise<void> {
    throw erofs(this.path, 'unlink');
  }

  unlink(): Promise<void> {
    return this.delete();
  }
}
