// The adaLN of src/kernels/ada-layer-norm.ts for the wasm backend, in float32, f32x4 along a row:
// y = x̂·(1 + scale[b]) + shift[b], x̂ = (x − μ)·r, r = 1/√(σ² + ε), and its gradient
// dx = r·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·(1 + scale), dshift = Σ dy, dscale = Σ dy·x̂
// over each clip's tokens, on tensors in tfjs's heap. A row whose width is not a multiple of four
// ends in single floats.

function horizontalSum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

let mean: f32 = 0;
let inverseDeviation: f32 = 0;

/** μ and r of the row at `x`, into `mean` and `inverseDeviation`. */
function rowStats(x: usize, width: i32, epsilon: f32): void {
  const vectorBytes = <usize>(width & ~3) * 4;
  const bytes = <usize>width * 4;
  let sums = f32x4.splat(0);
  for (let c: usize = 0; c < vectorBytes; c += 16) sums = f32x4.add(sums, v128.load(x + c));
  let sum = horizontalSum(sums);
  for (let c = vectorBytes; c < bytes; c += 4) sum += load<f32>(x + c);
  mean = sum / <f32>width;
  const centre = f32x4.splat(mean);
  let squares = f32x4.splat(0);
  for (let c: usize = 0; c < vectorBytes; c += 16) {
    const centred = f32x4.sub(v128.load(x + c), centre);
    squares = f32x4.add(squares, f32x4.mul(centred, centred));
  }
  let square = horizontalSum(squares);
  for (let c = vectorBytes; c < bytes; c += 4) {
    const centred = load<f32>(x + c) - mean;
    square += centred * centred;
  }
  inverseDeviation = 1 / Mathf.sqrt(square / <f32>width + epsilon);
}

/** y of x (batch·tokens rows of width), shift and scale (batch rows). */
export function adaLayerNormForward(x: usize, shift: usize, scale: usize, y: usize, batch: i32, tokens: i32, width: i32, epsilon: f32): void {
  const rowBytes = <usize>width * 4;
  const vectorBytes = <usize>(width & ~3) * 4;
  const one = f32x4.splat(1);
  for (let b = 0; b < batch; b++) {
    const clipShift = shift + <usize>b * rowBytes;
    const clipScale = scale + <usize>b * rowBytes;
    for (let t = 0; t < tokens; t++) {
      const offset = <usize>(b * tokens + t) * rowBytes;
      const row = x + offset;
      const out = y + offset;
      rowStats(row, width, epsilon);
      const centre = f32x4.splat(mean);
      const r = f32x4.splat(inverseDeviation);
      for (let c: usize = 0; c < vectorBytes; c += 16) {
        const normalized = f32x4.mul(f32x4.sub(v128.load(row + c), centre), r);
        v128.store(out + c, f32x4.add(f32x4.mul(normalized, f32x4.add(one, v128.load(clipScale + c))), v128.load(clipShift + c)));
      }
      for (let c = vectorBytes; c < rowBytes; c += 4) {
        const normalized = (load<f32>(row + c) - mean) * inverseDeviation;
        store<f32>(out + c, normalized * (1 + load<f32>(clipScale + c)) + load<f32>(clipShift + c));
      }
    }
  }
}

/** dx, dshift and dscale of x, scale and dy. */
export function adaLayerNormBackward(x: usize, scale: usize, dy: usize, dx: usize, dShift: usize, dScale: usize, batch: i32, tokens: i32, width: i32, epsilon: f32): void {
  const rowBytes = <usize>width * 4;
  const vectorBytes = <usize>(width & ~3) * 4;
  const one = f32x4.splat(1);
  memory.fill(dShift, 0, <usize>batch * rowBytes);
  memory.fill(dScale, 0, <usize>batch * rowBytes);
  for (let b = 0; b < batch; b++) {
    const clipScale = scale + <usize>b * rowBytes;
    const clipDShift = dShift + <usize>b * rowBytes;
    const clipDScale = dScale + <usize>b * rowBytes;
    for (let t = 0; t < tokens; t++) {
      const offset = <usize>(b * tokens + t) * rowBytes;
      const row = x + offset;
      const rowDy = dy + offset;
      const rowDx = dx + offset;
      rowStats(row, width, epsilon);
      const centre = f32x4.splat(mean);
      const r = f32x4.splat(inverseDeviation);
      let sumsG = f32x4.splat(0);
      let sumsGX = f32x4.splat(0);
      for (let c: usize = 0; c < vectorBytes; c += 16) {
        const normalized = f32x4.mul(f32x4.sub(v128.load(row + c), centre), r);
        const d = v128.load(rowDy + c);
        const g = f32x4.mul(d, f32x4.add(one, v128.load(clipScale + c)));
        sumsG = f32x4.add(sumsG, g);
        sumsGX = f32x4.add(sumsGX, f32x4.mul(g, normalized));
        v128.store(clipDShift + c, f32x4.add(v128.load(clipDShift + c), d));
        v128.store(clipDScale + c, f32x4.add(v128.load(clipDScale + c), f32x4.mul(d, normalized)));
      }
      let sumG = horizontalSum(sumsG);
      let sumGX = horizontalSum(sumsGX);
      for (let c = vectorBytes; c < rowBytes; c += 4) {
        const normalized = (load<f32>(row + c) - mean) * inverseDeviation;
        const d = load<f32>(rowDy + c);
        const g = d * (1 + load<f32>(clipScale + c));
        sumG += g;
        sumGX += g * normalized;
        store<f32>(clipDShift + c, load<f32>(clipDShift + c) + d);
        store<f32>(clipDScale + c, load<f32>(clipDScale + c) + d * normalized);
      }
      const meanG = sumG / <f32>width;
      const meanGX = sumGX / <f32>width;
      const meanGs = f32x4.splat(meanG);
      const meanGXs = f32x4.splat(meanGX);
      for (let c: usize = 0; c < vectorBytes; c += 16) {
        const normalized = f32x4.mul(f32x4.sub(v128.load(row + c), centre), r);
        const g = f32x4.mul(v128.load(rowDy + c), f32x4.add(one, v128.load(clipScale + c)));
        v128.store(rowDx + c, f32x4.mul(r, f32x4.sub(f32x4.sub(g, meanGs), f32x4.mul(normalized, meanGXs))));
      }
      for (let c = vectorBytes; c < rowBytes; c += 4) {
        const normalized = (load<f32>(row + c) - mean) * inverseDeviation;
        const g = load<f32>(rowDy + c) * (1 + load<f32>(clipScale + c));
        store<f32>(rowDx + c, inverseDeviation * (g - meanG - normalized * meanGX));
      }
    }
  }
}
