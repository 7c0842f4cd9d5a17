/**
 * BlazeFace anchor centres, in the order of the model's two outputs: a fine grid of 16 columns with
 * 2 anchors per cell, then a coarse grid of 8 columns with 6 per cell. A square input has 16 and 8
 * rows (512 + 384 anchors); a wider-than-tall input fewer (see input-size.ts). Centres are
 * normalized to the input's width and height; all anchors are unit-sized, box sizes come straight
 * from the regressors.
 */
export function blazefaceAnchors(fineRows = 16): Float32Array {
  const coarseRows = fineRows / 2;
  const out = new Float32Array((16 * fineRows * 2 + 8 * coarseRows * 6) * 2);
  let i = 0;
  for (const [cols, rows, perCell] of [
    [16, fineRows, 2],
    [8, coarseRows, 6],
  ] as const) {
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        for (let a = 0; a < perCell; a++) {
          out[i++] = (x + 0.5) / cols;
          out[i++] = (y + 0.5) / rows;
        }
      }
    }
  }
  return out;
}
