import type { BackendInfo } from './types.js';

/** The outcome of trying one backend: ready (and now active) or not, with why and what to install. */
export type Attempt =
  | { ok: true; info: Omit<BackendInfo, 'reason'> }
  | { ok: false; why: string; install: string };

/** The message of anything thrown, on one line. */
export function errorLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]?.trim() ?? '';
}
