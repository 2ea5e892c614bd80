/** test-apps/ts-http-handler's portable routes on native Bun (Bun.serve), 127.0.0.1:0. */
import { portableRoutes } from '../../test-apps/ts-http-handler/src/routes';

declare const Bun: { serve(options: { fetch: (r: Request) => Response | Promise<Response>; hostname: string; port: number }): { port: number } };

const app = portableRoutes('bun');
const server = Bun.serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
console.log(`listening http://127.0.0.1:${server.port}`);
