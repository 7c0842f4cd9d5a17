import { containsBox, growBox, type Box, type Detection, type RgbImage } from '../image.ts';

/** thumbnail cells per side of an area */
const CELLS = 12;
/** PP-OCR searches a little beyond each area, so that the next frame's box (SSD's jitter) fits inside */
const SLACK = 0.05;
/** a cell whose mean grey level moved by more than this has changed (JPEG noise on a still scene stays under 4) */
const CELL_CHANGE = 8;
/** PP-OCR looks again after this many reuses however still the area seems */
const REFRESH = 25;

interface Remembered {
  /** what PP-OCR searched: the area grown by SLACK */
  searched: Box;
  thumb: Float32Array;
  texts: Detection[];
  reused: number;
}

/**
 * PP-OCR on a parked car finds the same plate in every frame, at about the SSD's cost
 * (docs/performance.md, "Figures behind code choices"). For each scene (camera) this remembers
 * the text found inside each vehicle area with a grey thumbnail of the pixels it searched. In the next frame, a
 * vehicle area that lies
 * inside a searched one whose pixels have not changed in any cell gets the remembered text without
 * running the model: the same pixels hold the same plate at the same place, and nothing of the new
 * area went unsearched. Anything that changes those pixels (the car moves, someone walks in front of
 * it, the light changes) runs the model, and so does every REFRESH-th frame. Areas of vehicles no
 * longer seen are forgotten.
 */
export class TextReuse {
  private readonly scenes = new Map<string, { width: number; height: number; areas: Remembered[] }>();
  readonly stats = { detected: 0, reused: 0 };

  /** The text inside each area: remembered where nothing changed, else from `detect` (one area at a time). */
  async find(
    scene: string,
    img: RgbImage,
    areas: readonly Box[],
    detect: (area: Box) => Promise<Detection[]>,
  ): Promise<Detection[]> {
    const last = this.scenes.get(scene);
    const before = last && last.width === img.width && last.height === img.height ? last.areas : [];
    const now: Remembered[] = [];
    const found: Detection[] = [];
    for (const area of areas) {
      const same = before.find(
        (r) => r.reused < REFRESH && containsBox(r.searched, area) && unchanged(r.thumb, thumbnail(img, r.searched)),
      );
      if (same) {
        this.stats.reused++;
        found.push(...same.texts);
        if (!now.includes(same)) now.push(same);
        same.reused++;
        continue;
      }
      this.stats.detected++;
      const searched = growBox(area, SLACK);
      const texts = await detect(searched);
      found.push(...texts);
      now.push({ searched, thumb: thumbnail(img, searched), texts, reused: 0 });
    }
    this.scenes.set(scene, { width: img.width, height: img.height, areas: now });
    return found;
  }
}

function unchanged(a: Float32Array, b: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > CELL_CHANGE) return false;
  return true;
}

/** mean grey level of each of CELLS x CELLS cells of the area, every pixel counted */
function thumbnail(img: RgbImage, area: Box): Float32Array {
  const x0 = Math.floor(area.x1 * img.width);
  const y0 = Math.floor(area.y1 * img.height);
  const w = Math.max(CELLS, Math.min(img.width - x0, Math.ceil((area.x2 - area.x1) * img.width)));
  const h = Math.max(CELLS, Math.min(img.height - y0, Math.ceil((area.y2 - area.y1) * img.height)));
  const sums = new Float32Array(CELLS * CELLS);
  const counts = new Uint32Array(CELLS * CELLS);
  for (let y = 0; y < h; y++) {
    const py = Math.min(img.height - 1, y0 + y);
    const row = Math.floor((y * CELLS) / h) * CELLS;
    for (let x = 0; x < w; x++) {
      const i = (py * img.width + Math.min(img.width - 1, x0 + x)) * 3;
      const cell = row + Math.floor((x * CELLS) / w);
      sums[cell]! += 0.299 * img.data[i]! + 0.587 * img.data[i + 1]! + 0.114 * img.data[i + 2]!;
      counts[cell]!++;
    }
  }
  for (let c = 0; c < sums.length; c++) sums[c]! /= counts[c]!;
  return sums;
}
