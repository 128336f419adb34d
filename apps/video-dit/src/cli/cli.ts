import { BackendUnavailableError } from '../backend/index.js';
import { ConfigError, closestKey } from '../config/index.js';
import { ablateShiftCommand } from './ablate-shift-command.js';
import { type Command, StoppedBySignalError, UsageError } from './args.js';
import { evalCommand } from './eval-command.js';
import { exportWebCommand } from './export-web-command.js';
import { plotShiftMechanismCommand } from './plot-shift-mechanism-command.js';
import { plotTimestepsCommand } from './plot-timesteps-command.js';
import { sampleCommand } from './sample-command.js';
import { trainCommand } from './train-command.js';

const COMMANDS: Record<string, Command> = {
  train: trainCommand,
  sample: sampleCommand,
  eval: evalCommand,
  'export-web': exportWebCommand,
  'plot-timesteps': plotTimestepsCommand,
  'plot-shift-mechanism': plotShiftMechanismCommand,
  'ablate-shift': ablateShiftCommand,
};

const NAME_WIDTH = Math.max(...Object.keys(COMMANDS).map((name) => name.length)) + 3;

const USAGE = [
  'video-dit <command> [flags]   a toy video DiT trained with @flowdit/timestep-shift and @flowdit/rope3d',
  '',
  'commands:',
  ...Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(NAME_WIDTH)}${summary}`),
  '',
  "'video-dit <command> --help' lists a command's flags.",
].join('\n');

/**
 * Runs the CLI. Errors are printed as `video-dit <command>: <message>`.
 * @param argv - arguments after the program name.
 * @returns the exit code: 0, 1 for a failure, 2 for a usage or configuration mistake.
 */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : COMMANDS[name];
  try {
    if (command !== undefined) {
      await command.run(rest);
      return 0;
    }
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      console.log(USAGE);
      return name === undefined ? 1 : 0;
    }
    const suggestion = closestKey(name, Object.keys(COMMANDS));
    throw new UsageError(
      `unknown command '${name}'${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}; commands: ${Object.keys(COMMANDS).join(', ')}`,
    );
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    console.error(`video-dit${command === undefined ? '' : ` ${name}`}: ${error.message}`);
    if (error instanceof StoppedBySignalError) return error.exitCode;
    const usage = error instanceof UsageError || error instanceof ConfigError || error instanceof BackendUnavailableError;
    return usage ? 2 : 1;
  }
}
