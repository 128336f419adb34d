// adaLN-Zero's gated residual of src/kernels/gated-residual.ts for the wasm backend, in float32,
// f32x4 along a row: y = x + gate[b]·f forward; df = dy·gate[b] and dgate = Σ dy·f over each
// clip's tokens backward, on tensors in tfjs's heap.

/** y of x and f (batch·tokens rows of width) and gate (batch rows). */
export function gatedResidualForward(x: usize, gate: usize, f: usize, y: usize, batch: i32, tokens: i32, width: i32): void {
  const rowBytes = <usize>width * 4;
  const vectorBytes = <usize>(width & ~3) * 4;
  for (let b = 0; b < batch; b++) {
    const clipGate = gate + <usize>b * rowBytes;
    for (let t = 0; t < tokens; t++) {
      const offset = <usize>(b * tokens + t) * rowBytes;
      for (let c: usize = 0; c < vectorBytes; c += 16) {
        v128.store(y + offset + c, f32x4.add(v128.load(x + offset + c), f32x4.mul(v128.load(clipGate + c), v128.load(f + offset + c))));
      }
      for (let c = vectorBytes; c < rowBytes; c += 4) {
        store<f32>(y + offset + c, load<f32>(x + offset + c) + load<f32>(clipGate + c) * load<f32>(f + offset + c));
      }
    }
  }
}

/** dgate and df of gate, f and dy. */
export function gatedResidualBackward(gate: usize, f: usize, dy: usize, dGate: usize, dF: usize, batch: i32, tokens: i32, width: i32): void {
  const rowBytes = <usize>width * 4;
  const vectorBytes = <usize>(width & ~3) * 4;
  memory.fill(dGate, 0, <usize>batch * rowBytes);
  for (let b = 0; b < batch; b++) {
    const clipGate = gate + <usize>b * rowBytes;
    const clipDGate = dGate + <usize>b * rowBytes;
    for (let t = 0; t < tokens; t++) {
      const offset = <usize>(b * tokens + t) * rowBytes;
      for (let c: usize = 0; c < vectorBytes; c += 16) {
        const d = v128.load(dy + offset + c);
        v128.store(dF + offset + c, f32x4.mul(d, v128.load(clipGate + c)));
        v128.store(clipDGate + c, f32x4.add(v128.load(clipDGate + c), f32x4.mul(d, v128.load(f + offset + c))));
      }
      for (let c = vectorBytes; c < rowBytes; c += 4) {
        const d = load<f32>(dy + offset + c);
        store<f32>(dF + offset + c, d * load<f32>(clipGate + c));
        store<f32>(clipDGate + c, load<f32>(clipDGate + c) + d * load<f32>(f + offset + c));
      }
    }
  }
}
