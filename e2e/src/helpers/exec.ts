import { spawn } from 'node:child_process';

export interface ExecResult {
  readonly command: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface ExecOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the whole process group after this many ms (default 180 s). */
  timeoutMs?: number;
  /** Resolve with the result instead of throwing when the exit code is not 0. */
  allowFailure?: boolean;
}

/** Process groups we started and have not seen end, so a worker that is torn down ends them too. */
const runningGroups = new Set<number>();
process.once('exit', () => {
  for (const pgid of runningGroups) killGroup(pgid, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const pgid of runningGroups) killGroup(pgid, 'SIGKILL');
    process.kill(process.pid, signal); // then die of the same signal, as without this handler
  });
}

/**
 * Remembers a process group we started (until `untrackGroup`), so it is killed if this process
 * exits or is interrupted first.
 * @param pgid - the group's id
 */
export function trackGroup(pgid: number): void {
  runningGroups.add(pgid);
}

/**
 * Forgets a process group that has ended.
 * @param pgid - the group's id
 */
export function untrackGroup(pgid: number): void {
  runningGroups.delete(pgid);
}

/**
 * Sends a signal to a process group we started, ignoring a group that is already gone.
 * @param pgid - the group's id (the pid of the `detached` child that leads it)
 * @param signal - the signal to send
 */
export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Runs a command in its own process group and collects its output. On timeout the whole group
 * (npm, pnpm and whatever they spawned) is killed, so nothing outlives the test.
 * @param file - the executable
 * @param args - its arguments
 * @param options - cwd, env, timeout and whether a non-zero exit is expected
 * @returns exit code, stdout, stderr and duration
 * @throws Error naming the command, exit code and the tail of its output when it fails or times out
 */
export function exec(file: string, args: readonly string[], options: ExecOptions): Promise<ExecResult> {
  const command = [file, ...args].join(' ');
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 180_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pgid = child.pid;
    if (pgid !== undefined) trackGroup(pgid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pgid !== undefined) killGroup(pgid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      if (pgid !== undefined) untrackGroup(pgid);
      reject(new Error(`${command} (in ${options.cwd}) could not start: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (pgid !== undefined) {
        untrackGroup(pgid);
        // Grandchildren left behind by a finished command (daemons) go with it.
        killGroup(pgid, 'SIGKILL');
      }
      const result: ExecResult = { command, code: code ?? 128, stdout, stderr, ms: Date.now() - started };
      if (timedOut) {
        reject(new Error(`${command} (in ${options.cwd}) timed out after ${timeoutMs} ms\n${tail(stdout + stderr)}`));
      } else if (result.code !== 0 && !options.allowFailure) {
        reject(
          new Error(
            `${command} (in ${options.cwd}) exited with ${code ?? signal}\n--- stdout\n${tail(stdout)}\n--- stderr\n${tail(stderr)}`,
          ),
        );
      } else {
        resolve(result);
      }
    });
  });
}
