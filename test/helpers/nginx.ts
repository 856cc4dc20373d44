import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A real nginx (Debian's package) for integration tests: the deploy/nginx configuration rendered
 * into a temporary prefix, started in the foreground as the test's child, stopped gracefully.
 * Runs without root: the pid file, logs and temp paths all live in the prefix.
 */

/** deploy/nginx/keyward-pep.conf, the configuration the tests render. */
export const PEP_NGINX_TEMPLATE = fileURLToPath(new URL('../../deploy/nginx/keyward-pep.conf', import.meta.url));

const CANDIDATES = ['/usr/sbin/nginx', ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'nginx'))];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The nginx binary ($NGINX_BIN, /usr/sbin/nginx, or nginx on PATH). Missing, it is undefined
 * with a warning locally (the caller skips), and an error in CI (.ci/run installs it).
 */
export function findNginx(): string | undefined {
  const found = [process.env.NGINX_BIN, ...CANDIDATES].find((path) => path && executable(path));
  if (found) return found;
  const message = "nginx not found (install Debian's package: apt-get install -y nginx, or set NGINX_BIN)";
  if (process.env.CI === 'true') throw new Error(`${message}: required in CI`);
  console.warn(`WARNING: ${message}: skipping the nginx integration tests`);
  return undefined;
}

/**
 * The template with every {{NAME}} replaced by values[NAME]; a placeholder without a value is an
 * error, so a template change cannot go unnoticed.
 */
export function renderNginxConfig(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`nginx template: no value for {{${name}}}`);
    return String(value);
  });
}

/** A free loopback port (nginx needs a number in its configuration, not port 0). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface NginxOptions {
  /** The nginx binary (findNginx()). */
  binary: string;
  /** Placeholder values besides PREFIX, PORT and LISTEN_ADDRESS, which the harness fills. */
  values: Readonly<Record<string, string | number>>;
  /** The template path (default deploy/nginx/keyward-pep.conf). */
  template?: string;
  /** Milliseconds to wait for the listener (default 10 s). */
  startTimeout?: number;
}

export interface RunningNginx {
  /** The TLS port nginx listens on (127.0.0.1). */
  port: number;
  /** The temporary prefix: nginx.conf, logs/, temp/, and whatever the caller put there. */
  prefix: string;
  /** logs/error.log and logs/access.log as written so far. */
  errorLog(): string;
  accessLog(): string;
  /** Graceful stop (SIGQUIT; SIGKILL after 5 s), then the prefix is removed. */
  stop(): Promise<void>;
}

/** A temporary prefix for nginx (readable by its unprivileged workers when the test runs as root). */
export function nginxPrefix(): string {
  const prefix = mkdtempSync(join(tmpdir(), 'keyward-nginx-'));
  chmodSync(prefix, 0o755);
  mkdirSync(join(prefix, 'logs'));
  mkdirSync(join(prefix, 'temp'));
  return prefix;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/**
 * nginx -p <prefix> -e <prefix>/logs/error.log -c <prefix>/nginx.conf -g 'daemon off; pid …;'
 * with the template rendered for a free port on 127.0.0.1, resolved once it accepts connections.
 * `prefix` defaults to a fresh nginxPrefix() (pass one to place certificates in it first).
 */
export async function startNginx(options: NginxOptions, prefix = nginxPrefix()): Promise<RunningNginx> {
  const template = readFileSync(options.template ?? PEP_NGINX_TEMPLATE, 'utf8');
  const errorLogPath = join(prefix, 'logs', 'error.log');
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  try {
    return await launch(options, template, prefix, errorLogPath, read);
  } catch (error) {
    rmSync(prefix, { recursive: true, force: true });
    throw error;
  }
}

async function launch(
  options: NginxOptions,
  template: string,
  prefix: string,
  errorLogPath: string,
  read: (path: string) => string,
): Promise<RunningNginx> {
  let lastFailure = '';
  // The free port may be taken between freePort() and nginx's bind: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const confPath = join(prefix, 'nginx.conf');
    writeFileSync(
      confPath,
      renderNginxConfig(template, { ...options.values, PREFIX: prefix, PORT: port, LISTEN_ADDRESS: '127.0.0.1' }),
    );
    const child = spawn(
      options.binary,
      [
        '-p',
        prefix,
        '-e',
        errorLogPath,
        '-c',
        confPath,
        '-g',
        `daemon off; pid ${join(prefix, 'nginx.pid')}; error_log ${errorLogPath} notice;`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const done = exited(child);
    let running = true;
    void done.then(() => (running = false));

    const deadline = Date.now() + (options.startTimeout ?? 10_000);
    while (running && Date.now() < deadline && !(await canConnect(port)))
      await new Promise((resolve) => setTimeout(resolve, 50));

    if (running && (await canConnect(port))) {
      return {
        port,
        prefix,
        errorLog: () => read(errorLogPath),
        accessLog: () => read(join(prefix, 'logs', 'access.log')),
        async stop() {
          if (running) {
            child.kill('SIGQUIT');
            const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
            await done;
            clearTimeout(timer);
          }
          rmSync(prefix, { recursive: true, force: true });
        },
      };
    }
    if (running) {
      child.kill('SIGKILL');
      await done;
    }
    lastFailure = `${output}\n${read(errorLogPath)}`.trim();
    if (!/Address already in use/.test(lastFailure)) break;
  }
  throw new Error(`nginx did not start:\n${lastFailure}`);
}
