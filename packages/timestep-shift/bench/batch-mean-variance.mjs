/**
 * Variance, over `batches` consecutive batches from one seeded generator, of the batch mean of
 * g(t): how noisy a loss estimate built from such batches is. Shared by the bench (which prints
 * it) and the tests (which bound it), so both measure the same thing.
 */
export function batchMeanVariance({ createRng, sampleTimesteps }, dist, g, batchSize, stratified, batches) {
  const rng = createRng(1234);
  let sum = 0;
  let sumSquares = 0;
  for (let b = 0; b < batches; b++) {
    const batch = sampleTimesteps(dist, batchSize, rng, { stratified });
    let mean = 0;
    for (const t of batch) mean += g(t) / batchSize;
    sum += mean;
    sumSquares += mean * mean;
  }
  return (sumSquares - (sum * sum) / batches) / (batches - 1);
}
