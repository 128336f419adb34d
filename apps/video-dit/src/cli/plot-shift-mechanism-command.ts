import { inverseShiftT } from '@flowdit/timestep-shift';
import { halfDetectionTime, measureShiftMechanism, writeShiftMechanismFigure } from '../eval/index.js';
import { command, type FlagSpecs, type FlagValues, numberFlag } from './args.js';
import { displayPath } from './display-path.js';

const FLAGS = {
  out: { type: 'string', value: 'FILE.png', help: 'where to write the figure (default runs/shift-mechanism.png)' },
  clips: { type: 'string', value: 'N', help: 'validation clips per rendering (default 24)' },
  seed: { type: 'string', value: 'N', help: 'seed of the noise (default 0)' },
} as const satisfies FlagSpecs;

/**
 * `video-dit plot-shift-mechanism`: how much of a clip the noise hides along t at 16×16, 32×32,
 * 64×64 and at twice the frames, drawn against t and against the pixel rule's shifted time, with
 * the shift that best aligns each curve with the base's.
 */
async function plotShiftMechanism(flags: FlagValues<typeof FLAGS>): Promise<void> {
  const clips = numberFlag('clips', flags.clips);
  const seed = numberFlag('seed', flags.seed);
  const curves = measureShiftMechanism({ ...(clips === undefined ? {} : { clips }), ...(seed === undefined ? {} : { seed }) });
  const out = flags.out ?? 'runs/shift-mechanism.png';
  await writeShiftMechanismFigure(out, curves);
  console.log('| frames × pixels | m/n | pixel rule √(m/n) | fitted shift, SNR | fitted shift, detection | t of 50% detection | that t shifted by √(m/n) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const curve of curves) {
    const rule = Math.sqrt(curve.pixelRatio);
    const half = halfDetectionTime(curve);
    const fitted = (value: number) => (Number.isNaN(value) ? '—' : value.toFixed(2));
    console.log(
      `| ${curve.variant.name} | ${curve.pixelRatio} | ${rule.toFixed(2)} | ${fitted(curve.fittedShift.snr)} | ${fitted(curve.fittedShift.detection)} | ${half.toFixed(3)} | ${Number.isNaN(half) ? '—' : inverseShiftT(half, rule).toFixed(3)} |`,
    );
  }
  console.log(`wrote ${displayPath(out)}`);
}

/** `video-dit plot-shift-mechanism`. */
export const plotShiftMechanismCommand = command('plot-shift-mechanism', {
  summary: 'how much of a clip the noise hides along t, at 3 sizes and 2 frame rates',
  does: 'measure and draw how much of a clip the noise hides along t at several sizes, against t and the shifted t',
  flags: FLAGS,
  run: plotShiftMechanism,
});
