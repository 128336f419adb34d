// What the benchmark (bench/) drives without the CLI.
export { BackendUnavailableError, backendLabel, countWork, initBackend } from './backend/index.js';
export { presetConfig } from './config/index.js';
export { Trainer } from './train/index.js';
