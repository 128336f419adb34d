// Where the module's callers lay their tensors out.

const ROW_ALIGN: usize = 16;

/** Where the caller's tensors start: the first 16-byte boundary past the module's static data. */
export function base(): usize {
  return (__heap_base + ROW_ALIGN - 1) & ~(ROW_ALIGN - 1);
}

