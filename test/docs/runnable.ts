import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout the documentation describes. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A runnable block is a ```sh fence directly preceded by this comment line. */
export const RUNNABLE_MARKER = '<!-- docs-test -->';

/** The runnable shell blocks of a Markdown file (path relative to the checkout), in document order. */
export function runnableBlocks(file: string): string[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== RUNNABLE_MARKER) continue;
    if (lines[i + 1]?.trim() !== '```sh')
      throw new Error(`${file}:${i + 1}: ${RUNNABLE_MARKER} must be followed by a \`\`\`sh fence`);
    const end = lines.findIndex((line, index) => index > i + 1 && line.trim() === '```');
    if (end < 0) throw new Error(`${file}:${i + 2}: unterminated block`);
    blocks.push(lines.slice(i + 2, end).join('\n'));
    i = end;
  }
  return blocks;
}

/**
 * A fresh directory that looks like a checkout after `npm install` to the documented commands
 * (package.json, node_modules, dist, assets and the test vectors are links to this checkout),
 * so they run as written while everything they write — ./data above all — lands in it.
 */
export function freshCheckout(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-docs-'));
  for (const name of ['package.json', '.npmrc', 'node_modules', 'dist', 'assets', 'test'])
    symlinkSync(join(ROOT, name), join(dir, name));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ScriptResult {
  code: number | null;
  output: string;
}

/**
 * Runs shell blocks in one bash process (variables carry from block to block), stopping at the
 * first failing command. Background jobs still running at the end are killed, so a failed block
 * cannot leave a server behind.
 */
export function runBlocks(
  blocks: string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<ScriptResult> {
  const script = ['set -euo pipefail', "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT", ...blocks].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: options.cwd, ...options.env },
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      output += `\n[docs test] timed out after ${options.timeoutMs} ms\n`;
      process.kill(-child.pid!, 'SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Whether something accepts connections on the port. */
export async function portInUse(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
