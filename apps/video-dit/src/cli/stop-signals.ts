/** 128 + the signal's number, as a shell reports a process a signal ended. */
export const SIGNAL_EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Turns a first SIGINT or SIGTERM into a request to stop after the step under way (training then
 * writes a checkpoint of it), said on the terminal; a second one stops at once.
 * @param beforePrint - called before anything is printed (ends a progress bar).
 * @param what - what stops, for the message (e.g. 'stopping after this step, with a checkpoint').
 * @returns the signal received, if any, and `release` to restore the default handlers.
 */
export function catchStopSignals(beforePrint: () => void, what: string): { received: () => NodeJS.Signals | undefined; release: () => void } {
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    beforePrint();
    if (received !== undefined) process.exit(SIGNAL_EXIT_CODES[signal] ?? 1);
    received = signal;
    console.log(`${signal}: ${what} (${signal} again stops at once)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    received: () => received,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
