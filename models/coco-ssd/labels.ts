import type { DetectionClass } from '../image.ts';

/**
 * The COCO classes veilgate cares about, by the model's score column (COCO id - 1).
 * Everything else (chairs, cups, dogs...) is ignored.
 */
export const SSD_CLASSES: ReadonlyMap<number, Extract<DetectionClass, 'person' | 'vehicle'>> = new Map([
  [0, 'person'],
  [1, 'vehicle'], // bicycle
  [2, 'vehicle'], // car
  [3, 'vehicle'], // motorcycle
  [5, 'vehicle'], // bus
  [6, 'vehicle'], // train
  [7, 'vehicle'], // truck
]);

/**
 * The score columns a pruned model keeps (prune.ts), in order: its column j is the full model's column
 * SSD_KEPT_COLUMNS[j].
 */
export const SSD_KEPT_COLUMNS: readonly number[] = [...SSD_CLASSES.keys()].sort((a, b) => a - b);
