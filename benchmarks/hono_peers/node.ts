/** test-apps/ts-http-handler's portable routes on native Node (@hono/node-server), 127.0.0.1:0. */
import { serve } from '@hono/node-server';
import { portableRoutes } from '../../test-apps/ts-http-handler/src/routes';

const app = portableRoutes('node');
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  console.log(`listening http://127.0.0.1:${info.port}`);
});
