export { ablationComparisons, ablationTable, summarizeAblation, writeAblationFigure } from './report.js';
export { type AblationPlan, type AblationRun, type AblationRunResult, ablationPlan, ablationRuns, runAblation } from './shift-ablation.js';
