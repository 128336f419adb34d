export { type MetricsLine, loadRunEma, readMetrics, readRunConfig, type RunFolder, runFolder } from './run-folder.js';
export { type TrainOptions, trainToFolder } from './train-to-folder.js';
export { NonFiniteLossError, type StepResult, Trainer } from './trainer.js';
