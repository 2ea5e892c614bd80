/**
 * `Bun.serve(options)` for components. In a component the shim host owns the socket, so
 * serving means: remember the handler, and let the http-handler export (runtime.ts) send
 * each request to it. Supports the options Bun services use for HTTP: `fetch(req, server)`,
 * `routes` (static Responses, handlers, per-method objects, `:param` and `*` patterns, with
 * `req.params`), `error(err)`, `port`/`hostname` (reported back, the host decides the
 * real listener). WebSocket upgrades are not available (`server.upgrade()` returns false).
 *
 * Pure (no host imports), so `bun test` can compare it with real Bun.serve.
 */

type Handler = (this: Server, req: Request, server: Server) => Response | Promise<Response>;
type MethodHandlers = Partial<Record<string, Handler | Response>>;
type RouteValue = Response | Handler | MethodHandlers | false;

export interface ServeOptions {
  fetch?: Handler;
  routes?: Record<string, RouteValue>;
  error?: (this: Server, error: Error) => Response | Promise<Response>;
  port?: number | string;
  hostname?: string;
  development?: boolean;
  id?: string;
  websocket?: unknown;
  [key: string]: unknown;
}

interface CompiledRoute {
  pattern: string;
  /** Sort key: exact routes first, then parameterised, then wildcards (as Bun matches them). */
  rank: number;
  match(path: string): Record<string, string> | null;
  value: RouteValue;
}

function compileRoute(pattern: string, value: RouteValue): CompiledRoute {
  if (!pattern.startsWith('/')) throw new TypeError(`Bun.serve routes: "${pattern}" must start with "/"`);
  const parts = pattern.split('/').slice(1);
  const wildcard = parts[parts.length - 1] === '*';
  const fixed = wildcard ? parts.slice(0, -1) : parts;
  const hasParams = fixed.some((p) => p.startsWith(':'));
  return {
    pattern,
    rank: wildcard ? 2 : hasParams ? 1 : 0,
    value,
    match(path) {
      const segs = path.split('/').slice(1);
      if (wildcard ? segs.length < fixed.length : segs.length !== fixed.length) return null;
      const params: Record<string, string> = {};
      for (let i = 0; i < fixed.length; i++) {
        if (fixed[i].startsWith(':')) {
          if (!segs[i]) return null;
          params[fixed[i].slice(1)] = decodeURIComponent(segs[i]);
        } else if (fixed[i] !== segs[i]) {
          return null;
        }
      }
      return params;
    },
  };
}

export class Server {
  readonly port: number;
  readonly hostname: string;
  readonly development: boolean;
  readonly id: string;
  pendingRequests = 0;
  pendingWebSockets = 0;
  private options: ServeOptions;
  private routes: CompiledRoute[] = [];
  private stopped = false;

  constructor(options: ServeOptions, env: Record<string, string | undefined> = {}) {
    if (!options || (typeof options.fetch !== 'function' && !options.routes)) {
      throw new TypeError('Bun.serve needs a fetch handler or routes (Bun.serve({ fetch(req) { ... } }))');
    }
    this.port = Number(options.port ?? env.BUN_PORT ?? env.PORT ?? 3000);
    this.hostname = options.hostname ?? 'localhost';
    this.development = Boolean(options.development);
    this.id = options.id ?? '';
    this.options = options;
    this.setRoutes(options.routes);
  }

  get url(): URL {
    return new URL(`http://${this.hostname}:${this.port}/`);
  }

  private setRoutes(routes: ServeOptions['routes']): void {
    this.routes = Object.entries(routes ?? {})
      .map(([pattern, value]) => compileRoute(pattern, value))
      .sort((a, b) => a.rank - b.rank);
  }

  /** Replaces the handlers (Bun's hot reload API); the listener stays. */
  reload(options: ServeOptions): this {
    this.options = { ...this.options, ...options };
    if (options.routes) this.setRoutes(options.routes);
    return this;
  }

  /** Stops answering: later requests get 503 (the host keeps the listener). */
  stop(): void {
    this.stopped = true;
  }

  ref(): void {}
  unref(): void {}

  /** The peer address is not passed to components. */
  requestIP(): null {
    return null;
  }

  /** WebSockets are not available to components. */
  upgrade(): boolean {
    return false;
  }

  timeout(): void {}

  /** Handles one request as Bun would: routes first, then `fetch`, else 404. */
  async fetch(request: Request): Promise<Response> {
    if (this.stopped) return new Response('Service Unavailable', { status: 503 });
    this.pendingRequests++;
    try {
      return await this.dispatch(request);
    } catch (err) {
      if (this.options.error) return await this.options.error.call(this, err as Error);
      throw err;
    } finally {
      this.pendingRequests--;
    }
  }

  private async dispatch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    for (const route of this.routes) {
      const params = route.match(path);
      if (params === null) continue;
      const handler = this.pick(route.value, request.method);
      if (handler === null) continue;
      if (handler instanceof Response) return handler.clone();
      Object.defineProperty(request, 'params', { value: params, configurable: true, enumerable: true });
      return await handler.call(this, request, this);
    }
    if (this.options.fetch) return await this.options.fetch.call(this, request, this);
    return new Response('Not Found', { status: 404 });
  }

  private pick(value: RouteValue, method: string): Handler | Response | null {
    if (value === false || value === undefined || value === null) return null;
    if (value instanceof Response || typeof value === 'function') return value;
    return value[method] ?? (method === 'HEAD' ? value.GET : undefined) ?? null;
  }
}

let served: Server | null = null;

/** `Bun.serve`: one server per component (the host routes every request to it). */
export function serve(options: ServeOptions, env: Record<string, string | undefined> = {}): Server {
  if (served) {
    throw new Error('Bun.serve was called twice: a WarpGrid component serves one handler (merge the routes into one Bun.serve call)');
  }
  served = new Server(options, env);
  return served;
}

/** The server Bun.serve created, if any (read by the http-handler export). */
export function servedServer(): Server | null {
  return served;
}

/** For tests only: forget the served server. */
export function resetServed(): void {
  served = null;
}
