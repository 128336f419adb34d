export { loadRunEma, type MetricsLine, readRunConfig } from './run-folder.js';
export { trainToFolder } from './train-to-folder.js';
export { type StepResult, Trainer } from './trainer.js';
