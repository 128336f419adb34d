import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killGroup, trackGroup, untrackGroup } from './exec.js';
import { cleanEnv, tempDir } from './workspace.js';

const VERDACCIO_BIN = fileURLToPath(new URL('../../node_modules/verdaccio/bin/verdaccio', import.meta.url));

/**
 * A TCP port nothing listens on right now (the OS picks it; we close it at once).
 * @returns the port number
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

export interface Registry {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  readonly pid: number;
  /** Folder with config.yaml, htpasswd, storage/ and verdaccio.log. */
  readonly dir: string;
  /**
   * Creates a user the way `npm adduser` does, without prompts.
   * @returns the auth token for .npmrc
   */
  addUser(name: string, password: string): Promise<string>;
  /** The registry's document for a package (versions, dist-tags, tarball shasums), or undefined on 404. */
  packument(name: string): Promise<Packument | undefined>;
  /** Ends verdaccio (SIGTERM to its process group, SIGKILL after 5 s); safe to call twice. */
  stop(): Promise<void>;
  /** Whether the process is still alive. */
  alive(): boolean;
}

export interface Packument {
  'dist-tags': Record<string, string>;
  versions: Record<string, { version: string; dist: { shasum: string; tarball: string } }>;
}

/**
 * Starts verdaccio on 127.0.0.1, on a free port, with its own config, htpasswd (one user at
 * most) and storage in a temp folder, and no uplinks: it serves only what is published to it.
 * @returns a handle; call `stop()` in a finally / afterAll
 * @throws {Error} when it does not answer /-/ping within 30 s (the message carries its log)
 */
export async function startVerdaccio(): Promise<Registry> {
  const dir = await tempDir('verdaccio');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      '    max_users: 1',
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      '    unpublish: $authenticated',
      'web:',
      '  enable: false',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const logPath = join(dir, 'verdaccio.log');
  const log = openSync(logPath, 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    [VERDACCIO_BIN, '--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
    { cwd: dir, env: cleanEnv(), detached: true, stdio: ['ignore', log, log] },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('verdaccio did not start');
  trackGroup(pid);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  const registry: Registry = {
    url,
    pid,
    dir,
    async addUser(name, password) {
      const response = await fetch(new URL(`-/user/org.couchdb.user:${encodeURIComponent(name)}`, url), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ _id: `org.couchdb.user:${name}`, name, password, type: 'user', roles: [] }),
      });
      const body = (await response.json()) as { token?: string; error?: string };
      if (!response.ok || !body.token) throw new Error(`verdaccio refused user ${name}: ${response.status} ${JSON.stringify(body)}`);
      return body.token;
    },
    async packument(name) {
      const response = await fetch(new URL(name.replace('/', '%2f'), url));
      if (response.status === 404) return undefined;
      if (!response.ok) throw new Error(`GET ${name} from verdaccio: ${response.status}`);
      return (await response.json()) as Packument;
    },
    async stop() {
      if (exited) {
        untrackGroup(pid);
        return;
      }
      killGroup(pid, 'SIGTERM');
      const deadline = Date.now() + 5000;
      while (!exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (!exited) killGroup(pid, 'SIGKILL');
      while (!exited) await new Promise((r) => setTimeout(r, 50));
      untrackGroup(pid);
    },
    alive: () => !exited,
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const ping = await fetch(new URL('-/ping', url));
      if (ping.ok) return registry;
    } catch {
      // not listening yet
    }
    if (exited || Date.now() > deadline) {
      await registry.stop();
      throw new Error(`verdaccio did not come up on ${url}:\n${readFileSync(logPath, 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
