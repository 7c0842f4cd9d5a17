/**
 * BlazeFace anchor centres, in the order of the model's two outputs:
 * a 16x16 grid with 2 anchors per cell (512), then an 8x8 grid with 6 per cell (384).
 * All anchors are unit-sized; box sizes come straight from the regressors.
 */
export function blazefaceAnchors(): Float32Array {
  const out = new Float32Array((512 + 384) * 2);
  let i = 0;
  for (const [grid, perCell] of [[16, 2], [8, 6]] as const) {
    for (let y = 0; y < grid; y++) {
      for (let x = 0; x < grid; x++) {
        for (let a = 0; a < perCell; a++) {
          out[i++] = (x + 0.5) / grid;
          out[i++] = (y + 0.5) / grid;
        }
      }
    }
  }
  return out;
}
