/**
 * A throwaway PostgreSQL (Debian's postgresql-15) on 127.0.0.1 for `bun test`: temp data dir,
 * free port, SCRAM password auth over TCP, run as the `postgres` user when the tests run as
 * root (postgres refuses root). The server is started under `timeout`, so it stops by itself
 * even if the test process dies; `stop()` ends it normally.
 */
import { mkdtempSync, writeFileSync, rmSync, chownSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface TestPostgres {
  port: number;
  user: string;
  password: string;
  database: string;
  stop(): Promise<void>;
}

const PG_BIN = process.env.WARPGRID_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const MAX_LIFETIME_S = 900;

function asPostgresUser(argv: string[]): string[] {
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...argv] : argv;
}

function run(argv: string[], what: string): void {
  const r = Bun.spawnSync(asPostgresUser(argv), { stdout: 'pipe', stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`${what} failed (${argv.join(' ')}):\n${r.stdout}\n${r.stderr}`);
}

function freePort(): number {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

async function waitReady(port: number, proc: ReturnType<typeof Bun.spawn>, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`postgres exited with ${proc.exitCode}:\n${log()}`);
    const r = Bun.spawnSync([join(PG_BIN, 'pg_isready'), '-h', '127.0.0.1', '-p', String(port)]);
    if (r.exitCode === 0) return;
    await Bun.sleep(100);
  }
  throw new Error(`postgres did not become ready on ${port} within 30 s:\n${log()}`);
}

export async function startPostgres(): Promise<TestPostgres> {
  if (!existsSync(join(PG_BIN, 'postgres'))) {
    throw new Error(`PostgreSQL 15 not found in ${PG_BIN} (apt-get install postgresql-15, or set WARPGRID_PG_BIN)`);
  }
  // Not a private sandbox TMPDIR: the postgres user must reach the data dir (as localservers.py).
  const root = mkdtempSync(join(process.env.WARPGRID_DB_TMPDIR ?? '/tmp', 'wg-bun-pg-'));
  const password = `bun-${crypto.randomUUID().slice(0, 8)}`;
  writeFileSync(join(root, 'pw'), password);
  if (process.getuid?.() === 0) {
    const ids = Bun.spawnSync(['id', '-u', 'postgres']).stdout.toString().trim();
    const gid = Bun.spawnSync(['id', '-g', 'postgres']).stdout.toString().trim();
    chownSync(root, Number(ids), Number(gid));
    chownSync(join(root, 'pw'), Number(ids), Number(gid));
  }
  const data = join(root, 'data');
  run([join(PG_BIN, 'initdb'), '-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256',
    `--pwfile=${join(root, 'pw')}`, '-E', 'UTF8', '--no-sync'], 'initdb');
  const port = freePort();
  const logFile = join(root, 'server.log');
  // timeout(1) outermost: it signals its whole process group (runuser and postgres) on expiry.
  const proc = Bun.spawn(['timeout', '-s', 'INT', String(MAX_LIFETIME_S), ...asPostgresUser([join(PG_BIN, 'postgres'), '-D', data,
    '-p', String(port), '-k', root, '-c', "listen_addresses=127.0.0.1", '-c', 'fsync=off',
    '-c', 'synchronous_commit=off', '-c', 'max_connections=40', '-c', `log_directory=${root}`,
    '-c', 'logging_collector=off'])], { stdout: Bun.file(logFile), stderr: Bun.file(logFile) });
  const log = () => (existsSync(logFile) ? require('node:fs').readFileSync(logFile, 'utf8') : '');
  await waitReady(port, proc, log);
  return {
    port, user: 'postgres', password, database: 'postgres',
    async stop() {
      proc.kill('SIGINT');
      await proc.exited;
      rmSync(root, { recursive: true, force: true });
    },
  };
}
