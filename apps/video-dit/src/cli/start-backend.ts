import { BACKEND_NAMES, type BackendInfo, type BackendName, initBackend } from '../backend/index.js';
import { UsageError } from './args.js';

/**
 * Starts the requested tfjs backend and prints which one runs and why.
 * @param request - 'auto' or a backend name.
 * @returns the backend's description.
 * @throws {UsageError} for an unknown name; {@link BackendUnavailableError} when a forced one cannot load.
 */
export async function startBackend(request: string): Promise<BackendInfo> {
  if (request !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(request)) {
    throw new UsageError(`--backend must be auto or one of ${BACKEND_NAMES.join(', ')}, got '${request}'`);
  }
  return initBackend(request as BackendName | 'auto', { log: (line) => console.log(line) });
}
