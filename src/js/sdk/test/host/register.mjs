// `node --import ./test/host/register.mjs`: lets the unit tests load SDK modules that import
// `warpgrid:shim/<interface>@<version>`. Those modules exist only inside a component, where the
// WarpGrid host provides them; here each resolves to a test double in this directory
// (`<interface>.mjs`), which the tests drive. An interface without a double fails to resolve.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
