/*
 * The safetensors file format (huggingface/safetensors, its README's "Format" section): an 8-byte
 * little-endian header length N, N bytes of JSON (each tensor's dtype, shape and byte offsets
 * into the data, plus string metadata under "__metadata__"), then the tensors' raw little-endian
 * bytes. Only float32 tensors here. The header is padded with spaces to a multiple of 8 bytes, so
 * that the data is aligned for any dtype.
 */

/** One float32 tensor of a file. */
export interface NamedTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const METADATA = '__metadata__';

/**
 * A safetensors file of float32 tensors, stored in the order given.
 * @param tensors - names (unique), shapes and values.
 * @param metadata - string pairs for the header's `__metadata__`.
 * @returns the file's bytes.
 * @throws {RangeError} when a name repeats or a shape does not hold its values.
 */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, HeaderEntry | Record<string, string>> = { [METADATA]: metadata };
  let offset = 0;
  for (const { name, shape, values } of tensors) {
    if (name in header) throw new RangeError(`tensor name '${name}' repeats (or is ${METADATA})`);
    if (shape.reduce((a, b) => a * b, 1) !== values.length) throw new RangeError(`tensor '${name}': shape [${shape}] does not hold ${values.length} values`);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + values.byteLength] };
    offset += values.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const file = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(file.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  file.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const { values } of tensors) {
    file.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at);
    at += values.byteLength;
  }
  return file;
}

/**
 * Reads a safetensors file of float32 tensors.
 * @param bytes - the file.
 * @returns its tensors by name (new arrays) and its metadata.
 * @throws {Error} when the file is not one: a header past its end, not JSON, offsets out of the
 *   data or not matching a shape, a dtype other than F32.
 */
export function decodeSafetensors(bytes: Uint8Array): { tensors: Map<string, { shape: number[]; values: Float32Array }>; metadata: Record<string, string> } {
  if (bytes.byteLength < 8) throw new Error(`a safetensors file has an 8-byte header length; this has ${bytes.byteLength} bytes`);
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + length > bytes.byteLength) throw new Error(`the header's length ${length} runs past the file's ${bytes.byteLength} bytes`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, length).toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`the header is not JSON: ${(error as Error).message}`);
  }
  const data = bytes.subarray(8 + length);
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA) continue;
    const { dtype, shape, data_offsets: offsets } = value as HeaderEntry;
    if (dtype !== 'F32') throw new Error(`tensor '${name}' is ${dtype}; only F32 is read here`);
    const [begin, end] = offsets;
    const size = shape.reduce((a, b) => a * b, 1);
    if (!(begin >= 0 && end <= data.byteLength && end - begin === 4 * size)) throw new Error(`tensor '${name}': offsets [${begin}, ${end}] do not fit shape [${shape}] in ${data.byteLength} bytes of data`);
    // copied (a Node Buffer's slice is a view): the data of a file read from disk need not be 4-byte aligned
    const values = new Float32Array(new Uint8Array(data.subarray(begin, end)).buffer);
    tensors.set(name, { shape, values });
  }
  return { tensors, metadata: (header[METADATA] as Record<string, string> | undefined) ?? {} };
}
