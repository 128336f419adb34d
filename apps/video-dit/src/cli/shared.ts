import type { BackendInfo } from '../backend/index.js';
import { BACKEND_NAMES, initBackend } from '../backend/index.js';
import { UsageError } from './args.js';

/**
 * Starts the requested tfjs backend and prints which one runs and why.
 * @param request - 'auto' or a backend name.
 * @returns the backend's description.
 * @throws UsageError for an unknown name; BackendUnavailableError when a forced one cannot load.
 */
export async function startBackend(request: string): Promise<BackendInfo> {
  if (request !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(request)) {
    throw new UsageError(`--backend must be auto or one of ${BACKEND_NAMES.join(', ')}, got '${request}'`);
  }
  return initBackend(request as 'auto', { log: (line) => console.log(line) });
}

/** Formats seconds as `1m05s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
