export { meanQuality, QUALITY_PARTS, type QualityPart, type QualityResult } from './quality.js';
export { describeEvalReport, evaluateRun } from './report.js';
export { describeValidation, type ValidationResult, validationLoss } from './validation.js';
