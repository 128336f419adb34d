#!/usr/bin/env bash
# The GPU figures of docs/gpu.md in one run: one training step of `small` at batch 16 and 256
# and of `base` at batch 8 and 32, on tfjs-webgpu (op by op and replaying its recorded step) and
# on PyTorch CUDA (bench/torch_dit.py), and of each preset at its own batch (`tiny` 4, `small` 16,
# `base` 8) on wasm, with the step's counts, then one table. Sets up Vulkan as docs/gpu.md says
# (the loader from Debian's libvulkan1 where it is missing, the driver's ICD found on disk).
# Run from the repository after the README's install and `pnpm build`:
#   bash apps/video-dit/bench/gpu.sh [OUT_DIR]
# A row that fails (out of GPU memory, no CUDA torch) says why in the table; the others still run.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-runs/gpu-bench}"
mkdir -p "$out"

if [[ ! -e /usr/lib/x86_64-linux-gnu/libvulkan.so.1 && -z "${LD_LIBRARY_PATH:-}" ]]; then
  echo "gpu.sh: no Vulkan loader; installing Debian's libvulkan1"
  (apt-get install -y libvulkan1 >/dev/null 2>&1 || sudo apt-get install -y libvulkan1 >/dev/null 2>&1) || echo "gpu.sh: could not install libvulkan1"
fi
if [[ -z "${VK_DRIVER_FILES:-}" ]]; then
  icd=$(ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json 2>/dev/null | head -n 1)
  if [[ -n "$icd" ]]; then
    export VK_DRIVER_FILES="$icd"
    echo "gpu.sh: VK_DRIVER_FILES=$icd"
  fi
fi

run() {
  local preset=$1 batch=$2 steps=$3 backends=${4:-webgpu} limit=${5:-150}
  echo "gpu.sh: $preset at batch $batch on $backends"
  timeout "$limit" node bench/train-step.bench.mjs --preset "$preset" --batch-size "$batch" --backends "$backends" \
    --steps "$steps" --torch-device cuda --json "$out/$preset-$batch.jsonl" >"$out/$preset-$batch.log" 2>&1 \
    || echo "gpu.sh: $preset at batch $batch ended with status $? (see $out/$preset-$batch.log)"
}
# each preset at its own batch also on wasm, for "webgpu faster than wasm for every preset"
run tiny 4 20 wasm,webgpu
run small 16 20 wasm,webgpu
run small 256 10
run base 8 5 wasm,webgpu 240
run base 32 3

node --input-type=module - "$out" <<'TABLE'
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
const dir = process.argv[2];
const rows = readdirSync(dir)
  .filter((name) => name.endsWith('.jsonl'))
  .flatMap((name) => readFileSync(join(dir, name), 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line)));
console.log('| preset | batch | implementation | ms/step | JS ms/step | issue ms/step | clips/s | tfjs kernels | dispatches | buffers new | submits | notes |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const gpu = r.work?.gpu;
  const ms = Number.isFinite(r.msPerStep) ? r.msPerStep.toFixed(1) : '-';
  const clips = Number.isFinite(r.msPerStep) ? ((1000 * r.batchSize) / r.msPerStep).toFixed(0) : '-';
  const js = Number.isFinite(r.jsMsPerStep) ? r.jsMsPerStep.toFixed(1) : '-';
  const issue = Number.isFinite(r.issueMsPerStep) ? r.issueMsPerStep.toFixed(2) : '-';
  console.log(`| ${r.preset} | ${r.batchSize} | ${r.name} | ${ms} | ${js} | ${issue} | ${clips} | ${r.work?.kernels ?? '-'} | ${gpu?.dispatches ?? '-'} | ${gpu?.buffersCreated ?? '-'} | ${gpu?.submits ?? '-'} | ${r.note} |`);
}
TABLE
