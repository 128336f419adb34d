import type { Core } from './core.js';
import { invertCdf } from './core.js';
import { normalCdf, normalPdf } from './normal.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * LTX-2's μ for a sequence length: the line through (1024 tokens, 0.95) and (4096, 2.05), evaluated
 * in the reference's order of operations (slope, intercept, then m·L + b).
 */
export function ltx2Mu(tokens: number): number {
  const slope = (2.05 - 0.95) / (4096 - 1024);
  const intercept = 0.95 - slope * 1024;
  return slope * tokens + intercept;
}

/**
 * LTX-2's stretched shifted logit-normal without its uniform share, in both conventions. In sigma:
 * X = sigmoid(μ + std·Z), stretched by the 0.5th and 99.9th percentiles of the normal that LTX-2
 * hard-codes (−2.5758·std, 3.0902·std): Y = (X − c₀)/(c₁ − c₀); values below eps are reflected
 * (Y ↦ 2·eps − Y) and the result clamped to 1. So the law lives on [eps, 1] with an atom at σ = 1
 * (t = 0) of mass P(Y > 1) + P(Y < 2·eps − 1); `pdf` is the density of the continuous part.
 */
export function ltx2StretchedCores(mu: number, std: number, eps: number): { sigma: Core; t: Core } {
  const lower = sigmoid(mu + -2.5758 * std);
  const upper = sigmoid(mu + 3.0902 * std);
  const width = upper - lower;
  const logitNormalCdf = (x: number) => (x <= 0 ? 0 : x >= 1 ? 1 : normalCdf((Math.log(x) - Math.log1p(-x) - mu) / std));
  const logitNormalPdf = (x: number) =>
    x <= 0 || x >= 1 ? 0 : normalPdf((Math.log(x) - Math.log1p(-x) - mu) / std) / (std * x * (1 - x));
  const stretchedCdf = (y: number) => logitNormalCdf(lower + width * y);
  const stretchedPdf = (y: number) => width * logitNormalPdf(lower + width * y);
  // P(reflected value < s) for s ≥ eps: the stretched values in [eps, s) and those in (2eps − s, eps).
  const below = (s: number) => (s <= eps ? 0 : Math.max(0, stretchedCdf(s) - stretchedCdf(2 * eps - s)));
  const density = (s: number) => (s <= eps || s >= 1 ? 0 : stretchedPdf(s) + stretchedPdf(2 * eps - s));
  const atom = 1 - below(1);
  const draw = (z: number): number => {
    const y = (sigmoid(z * std + mu) - lower) / width;
    const reflected = y >= eps ? y : 2 * eps - y;
    return Math.min(1, Math.max(0, reflected));
  };
  const sigmaCdf = (s: number) => (s >= 1 ? 1 : below(s));
  const tCdf = (t: number) => (t >= 1 - eps ? 1 : 1 - below(1 - t));
  const tPdf = (t: number) => density(1 - t);
  return {
    sigma: {
      pdf: density,
      cdf: sigmaCdf,
      quantile: (p) => (p === 0 ? eps : p > 1 - atom ? 1 : invertCdf(sigmaCdf, density, p, eps, 1)),
      sample: (rng) => draw(rng.normal()),
    },
    t: {
      pdf: tPdf,
      cdf: tCdf,
      quantile: (p) => (p <= atom ? 0 : p === 1 ? 1 - eps : invertCdf(tCdf, tPdf, p, 0, 1 - eps)),
      sample: (rng) => 1 - draw(rng.normal()),
    },
  };
}
