/** A connected region of a probability map above a threshold: its bounding box and mean probability. */
export interface Component {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  meanProb: number;
  pixels: number;
}

/**
 * 4-connected components of `prob > threshold`, by flood fill with an explicit stack
 * (no recursion: a map can hold one component of a hundred thousand pixels).
 */
export function components(prob: Float32Array, width: number, height: number, threshold: number): Component[] {
  const seen = new Uint8Array(width * height);
  const stack = new Int32Array(width * height);
  const out: Component[] = [];
  for (let start = 0; start < prob.length; start++) {
    if (seen[start] || prob[start]! <= threshold) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let x1 = width,
      y1 = height,
      x2 = -1,
      y2 = -1,
      sum = 0,
      n = 0;
    while (top > 0) {
      const i = stack[--top]!;
      const x = i % width;
      const y = (i - x) / width;
      if (x < x1) x1 = x;
      if (x > x2) x2 = x;
      if (y < y1) y1 = y;
      if (y > y2) y2 = y;
      sum += prob[i]!;
      n++;
      const push = (j: number) => {
        if (!seen[j] && prob[j]! > threshold) {
          seen[j] = 1;
          stack[top++] = j;
        }
      };
      if (x > 0) push(i - 1);
      if (x < width - 1) push(i + 1);
      if (y > 0) push(i - width);
      if (y < height - 1) push(i + width);
    }
    out.push({ x1, y1, x2: x2 + 1, y2: y2 + 1, meanProb: sum / n, pixels: n });
  }
  return out;
}
