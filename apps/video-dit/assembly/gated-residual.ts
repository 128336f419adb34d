import { base } from './layout';

// adaLN-Zero's gated residual of src/kernels/gated-residual.ts for the wasm backend, in float32,
// f32x4 along a row: y = x + gate[b]·f forward; df = dy·gate[b] and dgate = Σ dy·f over each
// clip's tokens backward. The caller copies the inputs one after another from base() (each padded
// to a multiple of four floats) and reads the outputs that follow them.

function roundUp4(n: i32): i32 {
  return (n + 3) & ~3;
}

function bytesOf(floats: i32): usize {
  return <usize>roundUp4(floats) * 4;
}

/** Bytes from base() that a call needs: the rows three times and the gate twice. */
export function gatedResidualBytesNeeded(batch: i32, tokens: i32, width: i32): usize {
  return 3 * bytesOf(batch * tokens * width) + 2 * bytesOf(batch * width);
}

/** y of x, gate and f at base(), written after them. */
export function gatedResidualForward(batch: i32, tokens: i32, width: i32): void {
  const rowsBytes = bytesOf(batch * tokens * width);
  const x = base();
  const gate = x + rowsBytes;
  const f = gate + bytesOf(batch * width);
  const y = f + rowsBytes;
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

/** dgate and df of gate, f and dy at base(), written after them. */
export function gatedResidualBackward(batch: i32, tokens: i32, width: i32): void {
  const rowsBytes = bytesOf(batch * tokens * width);
  const gateBytes = bytesOf(batch * width);
  const gate = base();
  const f = gate + gateBytes;
  const dy = f + rowsBytes;
  const dGate = dy + rowsBytes;
  const dF = dGate + gateBytes;
  const rowBytes = <usize>width * 4;
  const vectorBytes = <usize>(width & ~3) * 4;
  memory.fill(dGate, 0, gateBytes);
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
