export { describeEvalReport, evaluateRun } from './report.js';
export { describeValidation, type ValidationResult, validationLoss } from './validation.js';
