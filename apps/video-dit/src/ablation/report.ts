import type { TopLevelSpec } from 'vega-lite';
import { QUALITY_PARTS, type QualityPart } from '../eval/index.js';
import { writeVegaLitePng } from '../media/index.js';
import type { AblationArm, AblationRunResult } from './shift-ablation.js';

/** An arm's runs, summed up over its seeds. */
export interface ArmSummary extends AblationArm {
  /** Final quality score of each seed, seed order. */
  scores: number[];
  mean: number;
  /** max − min over the seeds: the seed-to-seed spread. */
  spread: number;
  /** The same, sampled at the pixel rule's shift of the resolution. */
  atPixelRuleShift: { scores: number[]; mean: number; spread: number };
  parts: Record<QualityPart, number>;
  /** Mean validation loss (uniform t) and per t bucket, over the seeds. */
  validation: number;
  buckets: { from: number; to: number; loss: number }[];
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * Groups the runs by arm.
 * @param results - every run's result.
 * @returns one summary per arm, in the runs' order.
 */
export function summarizeAblation(results: AblationRunResult[]): ArmSummary[] {
  const arms = new Map<string, AblationRunResult[]>();
  for (const result of results) {
    const key = `${result.run.side}/${result.run.shift}`;
    arms.set(key, [...(arms.get(key) ?? []), result]);
  }
  return [...arms.values()].map((runs) => {
    const { side, patch, shift, rules } = runs[0]!.run;
    const bySeed = [...runs].sort((a, b) => a.run.seed - b.run.seed);
    const scores = bySeed.map((r) => r.quality.score);
    const atRule = bySeed.map((r) => r.qualityAtPixelRuleShift.score);
    return {
      side,
      patch,
      shift,
      rules,
      scores,
      mean: mean(scores),
      spread: Math.max(...scores) - Math.min(...scores),
      atPixelRuleShift: { scores: atRule, mean: mean(atRule), spread: Math.max(...atRule) - Math.min(...atRule) },
      parts: Object.fromEntries(QUALITY_PARTS.map((part) => [part, mean(runs.map((r) => r.quality.parts[part]))])) as Record<QualityPart, number>,
      validation: mean(runs.map((r) => r.validation.loss)),
      buckets: runs[0]!.validation.buckets.map((bucket, k) => ({ ...bucket, loss: mean(runs.map((r) => r.validation.buckets[k]!.loss)) })),
    };
  });
}

/**
 * The results as a Markdown table: per arm the final quality score (mean and each seed), its
 * parts, and the validation loss overall and by t bucket (t = 0 noise).
 * @param arms - from {@link summarizeAblation}.
 * @returns the table's lines.
 */
export function ablationTable(arms: ArmSummary[]): string[] {
  const buckets = arms[0]?.buckets ?? [];
  const header = [
    'clip / patch',
    'shift',
    'rule',
    'quality (seeds)',
    'sampled at the pixel rule’s shift',
    ...QUALITY_PARTS,
    'val loss',
    ...buckets.map((b) => `t ∈ [${b.from.toFixed(1)}, ${b.to.toFixed(1)})`),
  ];
  const rows = arms.map((arm) => [
    `${arm.side}×${arm.side} / ${arm.patch}×${arm.patch}`,
    formatShift(arm.shift),
    arm.rules.join(', '),
    `**${arm.mean.toFixed(3)}** (${arm.scores.map((s) => s.toFixed(3)).join(', ')})`,
    `${arm.atPixelRuleShift.mean.toFixed(3)} (${arm.atPixelRuleShift.scores.map((s) => s.toFixed(3)).join(', ')})`,
    ...QUALITY_PARTS.map((part) => arm.parts[part].toFixed(2)),
    arm.validation.toFixed(4),
    ...arm.buckets.map((b) => b.loss.toFixed(4)),
  ]);
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`);
}

function formatShift(shift: number): string {
  return Number.isInteger(shift) ? String(shift) : shift.toFixed(2);
}

/**
 * What the claim predicts, checked: at each resolution the pixel rule's shift against shift 1 and
 * against 4× it, and at 32×32 the pixel rule against the token rule, each difference of mean
 * final quality beside the larger seed-to-seed spread of the two arms; once with each run sampled
 * at its own training shift, once with all sampled at the pixel rule's.
 * @param arms - from {@link summarizeAblation}.
 * @returns one line per comparison.
 */
export function ablationComparisons(arms: ArmSummary[]): string[] {
  const lines: string[] = [];
  const find = (side: number, rule: string) => arms.find((arm) => arm.side === side && arm.rules.some((r) => r === rule));
  for (const side of [...new Set(arms.map((arm) => arm.side))]) {
    const pixel = find(side, 'pixel rule');
    for (const other of [find(side, 'none'), find(side, 'token rule'), find(side, '4 × pixel rule')]) {
      if (pixel === undefined || other === undefined || other === pixel) continue;
      const compare = (of: (arm: ArmSummary) => { mean: number; spread: number }) => {
        const difference = of(pixel).mean - of(other).mean;
        const spread = Math.max(of(pixel).spread, of(other).spread);
        const verdict = Math.abs(difference) > spread ? (difference > 0 ? 'better beyond' : 'worse beyond') : 'within';
        return `${of(pixel).mean.toFixed(3)} against ${of(other).mean.toFixed(3)}, ${difference >= 0 ? '+' : ''}${difference.toFixed(3)}: ${verdict} the seed spread ${spread.toFixed(3)}`;
      };
      lines.push(
        `${side}×${side}, the pixel rule's shift ${formatShift(pixel.shift)} against shift ${formatShift(other.shift)} (${other.rules.join(', ')}): ` +
          `sampled with its training shift ${compare((arm) => arm)}; sampled at shift ${formatShift(pixel.shift)} ${compare((arm) => arm.atPixelRuleShift)}`,
      );
    }
  }
  return lines;
}

/** Which shift each rule gives at each resolution, e.g. `16×16: none 1, token rule 2, …`. */
function describeRules(results: AblationRunResult[]): string {
  const bySide = new Map<number, string[]>();
  for (const { run } of results) {
    const said = bySide.get(run.side) ?? [];
    for (const rule of run.rules) if (!said.some((s) => s.startsWith(`${rule} `))) said.push(`${rule} ${formatShift(run.shift)}`);
    bySide.set(run.side, said);
  }
  return [...bySide].map(([side, rules]) => `${side}×${side}: ${rules.join(', ')}`).join('; ');
}

/**
 * Draws the ablation: the quality score along training (a thin line per seed, a thick one for the
 * mean) and the final validation loss by t bucket, one column per resolution, one colour per shift.
 * @param path - the PNG to write.
 * @param results - every run's result.
 */
export async function writeAblationFigure(path: string, results: AblationRunResult[]): Promise<void> {
  const label = (r: AblationRunResult) => `${r.run.side}×${r.run.side} clips, ${r.run.patch}×${r.run.patch} patches`;
  const shiftName = (r: AblationRunResult) => `shift ${formatShift(r.run.shift)}`;
  const along = results.flatMap((r) => r.along.map(({ step, score }) => ({ step, score, seed: r.run.seed, shift: shiftName(r), resolution: label(r), order: r.run.shift })));
  const buckets = results.flatMap((r) =>
    r.validation.buckets.map((b) => ({ t: (b.from + b.to) / 2, loss: b.loss, seed: r.run.seed, shift: shiftName(r), resolution: label(r), order: r.run.shift })),
  );
  const shifts = [...new Map(results.map((r) => [shiftName(r), r.run.shift])).entries()].sort(([, a], [, b]) => a - b).map(([name]) => name);
  const color = { field: 'shift', type: 'nominal' as const, title: 'training shift', sort: shifts, scale: { domain: shifts } };
  const column = { field: 'resolution', type: 'nominal' as const, title: null, header: { labelFontSize: 13 } };
  const panel = (values: object[], x: object, y: object, title: string) => ({
    data: { values },
    title,
    facet: { column },
    spec: {
      width: 300,
      height: 200,
      layer: [
        { mark: { type: 'line' as const, opacity: 0.35, strokeWidth: 1 }, encoding: { x, y, color, detail: { field: 'seed', type: 'nominal' as const } } },
        { mark: { type: 'line' as const, strokeWidth: 2.5, point: true }, encoding: { x, y: { ...y, aggregate: 'mean' as const }, color } },
      ],
    },
  });
  await writeVegaLitePng(path, {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Training shift ablation: the same model and token count at two resolutions',
      subtitle: [`${describeRules(results)}`, 'thin lines: one seed each; thick: their mean'],
    },
    vconcat: [
      panel(
        along,
        { field: 'step', type: 'quantitative', title: 'training step' },
        { field: 'score', type: 'quantitative', title: 'quality score of samples (1 = real clips)' },
        'Quality along training (EMA model)',
      ),
      panel(
        buckets,
        { field: 't', type: 'quantitative', title: 't bucket centre (0 = noise, 1 = data)', scale: { domain: [0, 1] } },
        { field: 'loss', type: 'quantitative', title: 'validation loss', scale: { type: 'log' } },
        'Final validation loss by timestep',
      ),
    ],
    resolve: { scale: { color: 'shared' } },
  } as TopLevelSpec);
}
