export { latestCheckpoint } from './checkpoint.js';
export { loadRunEma, type MetricsLine, readMetrics, readRunConfig } from './run-folder.js';
export { trainToFolder } from './train-to-folder.js';
export { type StepResult, Trainer } from './trainer.js';
