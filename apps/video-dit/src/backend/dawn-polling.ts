/*
 * While a promise of the `webgpu` package is pending (a buffer's mapAsync, onSubmittedWorkDone),
 * its native module asks Dawn for finished work from a `setImmediate` callback that schedules
 * itself again: the JavaScript thread spins for as long as the GPU works. That keeps a core busy,
 * makes garbage the collector then pauses for, and on a software adapter takes the core from the
 * GPU's own work. Here those callbacks (anonymous native functions, which is how Dawn's look) are
 * run as often as before for the first moments of a wait, then once a millisecond: a read that
 * waits longer than that is late by at most about a millisecond.
 */

/** How long a wait polls at every turn of the event loop before it polls once a millisecond. */
const EAGER_MS = 0.5;
/** A pause between two polls longer than this starts a new wait. */
const NEW_WAIT_MS = 5;
/** The delay between two polls once a wait is past its first moments. */
const POLL_MS = 1;

const NATIVE_ANONYMOUS = 'function () { [native code] }';

function isNativeAnonymous(callback: unknown): boolean {
  return typeof callback === 'function' && callback.name === '' && Function.prototype.toString.call(callback) === NATIVE_ANONYMOUS;
}

let installed = false;
let waitStarted = 0;
let lastPoll = Number.NEGATIVE_INFINITY;

/** What became of the polls since {@link pollStatistics} was last reset: for tests and benches. */
export const pollStatistics = { eager: 0, delayed: 0 };

/**
 * Makes Dawn's event polling poll once a millisecond once a wait is past its first half
 * millisecond. Other `setImmediate` callbacks run as before. Idempotent.
 */
export function quietDawnPolling(): void {
  if (installed) return;
  installed = true;
  const immediate = globalThis.setImmediate;
  const quiet = (callback: (...args: unknown[]) => void, ...args: unknown[]) => {
    if (!isNativeAnonymous(callback)) return immediate(callback, ...args);
    const now = performance.now();
    if (now - lastPoll > NEW_WAIT_MS) waitStarted = now;
    lastPoll = now;
    if (now - waitStarted < EAGER_MS) {
      pollStatistics.eager += 1;
      return immediate(callback, ...args);
    }
    pollStatistics.delayed += 1;
    return setTimeout(callback, POLL_MS, ...args);
  };
  // keeps util.promisify(setImmediate) and the like working
  Object.assign(quiet, immediate);
  globalThis.setImmediate = quiet as unknown as typeof setImmediate;
}
