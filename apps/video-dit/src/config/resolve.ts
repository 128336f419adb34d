import { z } from 'zod';
import { validateVideoDataConfig } from '../data/index.js';
import { validateModelConfig } from '../model/index.js';
import { closestKey } from './closest-key.js';
import { dataConfig, trainingDistribution, trainingShift } from './derive.js';
import { presetConfig } from './presets.js';
import { type Config, configSchema, PRESET_NAMES, type PresetName, type SampleConfig, type SampleOverrides } from './schema.js';

/** A configuration that failed validation; the message lists every problem with its key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function unwrap(schema: z.ZodType): z.ZodType {
  return schema instanceof z.ZodOptional || schema instanceof z.ZodDefault ? (schema.unwrap() as z.ZodType) : schema;
}

/** The object schema at a path; for a union, the option the value there selects by its `kind`. */
function objectAt(path: readonly PropertyKey[], value: unknown): z.ZodObject | undefined {
  let schema: z.ZodType = configSchema;
  let node = value;
  for (const part of [...path, undefined]) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodDiscriminatedUnion) {
      const kind = (node as { kind?: unknown } | undefined)?.kind;
      const option = (schema.options as z.ZodObject[]).find((candidate) => (candidate.shape.kind as z.ZodLiteral).value === kind);
      if (option === undefined) return undefined;
      schema = option;
    }
    if (!(schema instanceof z.ZodObject)) return undefined;
    if (part === undefined) return schema;
    const next = (schema.shape as Record<string, z.ZodType>)[String(part)];
    if (next === undefined) return undefined;
    schema = next;
    node = (node as Record<PropertyKey, unknown> | undefined)?.[part];
  }
  return undefined;
}

function formatIssues(error: z.ZodError, merged: unknown, source: string): string {
  const lines = error.issues.flatMap((issue) => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const allowed = Object.keys(objectAt(issue.path, merged)?.shape ?? {});
      return issue.keys.map((key) => {
        const name = at === '' ? key : `${at}.${key}`;
        const suggestion = closestKey(key, allowed);
        return `unknown key '${name}'${suggestion === undefined ? '' : ` (did you mean '${at === '' ? '' : `${at}.`}${suggestion}'?)`}; allowed: ${allowed.join(', ')}`;
      });
    }
    return [`'${at}': ${issue.message}`];
  });
  return `invalid configuration (${source}):\n  ${lines.join('\n  ')}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeDeep(base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = out[key];
    out[key] = isPlainObject(value) && isPlainObject(current) ? mergeDeep(current, value) : value;
  }
  return out;
}

/** The checks across sections, by the stages that own the sections; zod has checked each value alone. */
function checkConsistency(config: Config, source: string): void {
  const fail = (message: string): never => {
    throw new ConfigError(`invalid configuration (${source}): ${message}`);
  };
  try {
    validateModelConfig(config.model);
  } catch (error) {
    fail((error as Error).message);
  }
  try {
    validateVideoDataConfig(dataConfig(config));
  } catch (error) {
    fail(`data.${(error as Error).message}`);
  }
  try {
    trainingDistribution(config.timesteps, trainingShift(config));
  } catch (error) {
    fail(`'timesteps': ${(error as Error).message}`);
  }
  const { threads, batchSize } = config.train;
  if (threads > batchSize) {
    fail(`'train.threads' = ${threads} must not exceed 'train.batchSize' = ${batchSize} (each thread takes a share of the batch)`);
  }
}

/**
 * Resolves a configuration: the preset named in `overrides` (default `small`), then each override
 * layer in order, validated as a whole. This is the one place a configuration is checked: what
 * it returns is trusted everywhere else.
 * @param layers - partial configurations (a JSON file, then flags); later layers win.
 * @param source - where the layers came from, for error messages.
 * @returns the validated configuration.
 * @throws {ConfigError} naming every unknown key (with the closest valid one) and every value out of range.
 */
export function resolveConfig(layers: readonly unknown[], source = 'flags'): Config {
  let preset: PresetName = 'small';
  for (const layer of layers) {
    if (!isPlainObject(layer)) {
      throw new ConfigError(`invalid configuration (${source}): expected an object, got ${JSON.stringify(layer)}`);
    }
    if (isPlainObject(layer.timesteps) && 'baseTokens' in layer.timesteps) {
      throw new ConfigError(
        `invalid configuration (${source}): 'timesteps.baseTokens' is now 'timesteps.basePixels': the shift rule counts frames × height × width (baseTokens × the pixels of a patch gives the same shift)`,
      );
    }
    const named = layer.preset;
    if (named !== undefined) {
      if (!(PRESET_NAMES as readonly unknown[]).includes(named)) {
        throw new ConfigError(
          `invalid configuration (${source}): 'preset' must be ${PRESET_NAMES.slice(0, -1).join(', ')} or ${PRESET_NAMES.at(-1)}, got ${JSON.stringify(named)}`,
        );
      }
      preset = named as PresetName;
    }
  }
  let merged = presetConfig(preset) as unknown as Record<string, unknown>;
  for (const layer of layers) merged = mergeDeep(merged, layer as Record<string, unknown>);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error, merged, source));
  checkConsistency(parsed.data, source);
  return parsed.data;
}

/**
 * A run's stored `config.json` as the run reads it back: the `resolved` values it printed are left
 * out, keys of earlier versions upgraded (see {@link upgradeStoredConfig}), the rest validated.
 * @param stored - the parsed file.
 * @param source - where it came from, for error messages.
 * @returns the validated configuration.
 * @throws {ConfigError} as {@link resolveConfig}.
 */
export function resolveStoredConfig(stored: Record<string, unknown>, source: string): Config {
  const { resolved: _resolved, ...config } = stored;
  return resolveConfig([upgradeStoredConfig(config)], source);
}

/**
 * A configuration stored by an earlier version, in today's keys: `timesteps.baseTokens` (the shift
 * rule counted tokens) becomes the `basePixels` that gives the run the same shift.
 * @param stored - a parsed `config.json`.
 * @returns the same configuration with today's keys (a fresh object when something changed).
 */
export function upgradeStoredConfig(stored: Record<string, unknown>): Record<string, unknown> {
  const { timesteps, model } = stored;
  if (!isPlainObject(timesteps) || !('baseTokens' in timesteps) || !isPlainObject(model) || !Array.isArray(model.patch)) return stored;
  const { baseTokens, ...rest } = timesteps;
  const pixelsPerToken = (model.patch as number[]).reduce((a, b) => a * b, 1);
  return { ...stored, timesteps: { ...rest, basePixels: (baseTokens as number) * pixelsPerToken } };
}

/**
 * A run's sampling section with some values replaced (by `sample` and `eval` flags), validated.
 * @param sample - the run's sampling section.
 * @param overrides - the values to replace; undefined ones keep the run's.
 * @param source - where the overrides came from, for error messages.
 * @returns the validated section.
 * @throws {ConfigError} naming every value out of range.
 */
export function resolveSampling(sample: SampleConfig, overrides: SampleOverrides, source = 'flags'): SampleConfig {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  const merged = { sample: { ...sample, ...given } };
  const parsed = configSchema.pick({ sample: true }).safeParse(merged);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error, merged, source));
  return parsed.data.sample;
}
