export { meanQuality, QUALITY_PARTS, type QualityPart, type QualityResult } from './quality.js';
export { describeEvalReport, evaluateRun } from './report.js';
export { halfDetectionTime, MECHANISM_VARIANTS, type MechanismCurve, measureShiftMechanism, writeShiftMechanismFigure } from './shift-mechanism.js';
export { describeValidation, type ValidationResult, validationLoss } from './validation.js';
