/** A fitted path point within this many pixels of the measured one is an inlier. */
const INLIER_PIXELS = 1;

/** Folds an unbounded coordinate into [low, high] the way an object reflects off two walls. */
function reflect(u: number, low: number, high: number): number {
  const span = high - low;
  if (span <= 0) return low;
  const m = (((u - low) % (2 * span)) + 2 * span) % (2 * span);
  return low + (m <= span ? m : 2 * span - m);
}

/**
 * Robust fit of x(t) = reflect(x0 + v·t) to one coordinate of a path: a grid over x0 and v, then a
 * finer one around the best; each point's squared residual is capped, so a few bad frames (an
 * occlusion, a tracking slip) do not drag the fit.
 * @returns the velocity and which frames the fit explains to within INLIER_PIXELS
 */
export function fitBouncingPath(
  times: number[],
  values: number[],
  low: number,
  high: number,
  maxSpeed: number,
): { velocity: number; inliers: boolean[] } {
  const cap = (1.5 * INLIER_PIXELS) ** 2;
  const residual = (x0: number, v: number, k: number): number =>
    reflect(x0 + v * (times[k] as number), low, high) - (values[k] as number);
  const loss = (x0: number, v: number): number => {
    let sum = 0;
    for (let k = 0; k < times.length; k++) sum += Math.min(cap, residual(x0, v, k) ** 2);
    return sum;
  };
  let best = { x0: low, v: 0, loss: Number.POSITIVE_INFINITY };
  const search = (x0From: number, x0To: number, x0Steps: number, vFrom: number, vTo: number, vSteps: number): void => {
    for (let i = 0; i <= vSteps; i++) {
      const v = vFrom + ((vTo - vFrom) * i) / vSteps;
      for (let j = 0; j <= x0Steps; j++) {
        const x0 = x0From + ((x0To - x0From) * j) / x0Steps;
        const l = loss(x0, v);
        if (l < best.loss) best = { x0, v, loss: l };
      }
    }
  };
  const vLimit = Math.max(1.5 * maxSpeed, 1);
  const vStep = vLimit / 20;
  search(low, high, Math.max(1, Math.ceil((high - low) / 0.5)), -vLimit, vLimit, 40);
  search(best.x0 - 0.5, best.x0 + 0.5, 20, best.v - vStep, best.v + vStep, 20);
  return {
    velocity: best.v,
    inliers: times.map((_, k) => Math.abs(residual(best.x0, best.v, k)) <= INLIER_PIXELS),
  };
}
