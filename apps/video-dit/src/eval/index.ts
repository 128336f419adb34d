export { describeEvalReport, type EvalReport, evaluateRun } from './report.js';
export { describeValidation, type ValidationResult, validationLoss } from './validation.js';
