import { createFaceDetector } from './blazeface/detector.ts';
import { headBand } from './head-band.ts';
import { createCocoSsd } from './coco-ssd/detector.ts';
import type { SsdModelId } from './model-names.ts';
import type { Detector } from './detector.ts';
import { growBox, nms, type Detection, type RgbImage } from './image.ts';
import { createTextDetector } from './ppocr/detector.ts';
import { TextReuse } from './ppocr/text-reuse.ts';

export interface VisionOptions {
  faceThreshold: number;
  farFaceThreshold: number;
  personThreshold: number;
  vehicleThreshold: number;
  textThreshold: number;
  /** the person and vehicle detector's build; int8 unless said otherwise */
  objectModel?: SsdModelId;
  /** source pixels per side of the tiles faces are also searched in; 0 or unset: the whole frame only */
  faceTileSize?: number;
  /** also search for faces upside down */
  searchUpsideDown?: boolean;
  /** the least score of a small tile candidate for a close-up; the face detector's own unless a bench compares */
  smallCloseUpFrom?: number;
  /** magnified looks at small candidates; on unless a bench compares */
  magnifiedLooks?: boolean;
  /** face-api.js's SSD looks where the far model's look finds nothing; on unless a bench compares */
  ssdLooks?: boolean;
  /** the SSD's look as it was: the 64 px square, not mirrored; off unless a bench compares */
  plainSsdLooks?: boolean;
  /** close-ups of a fixed square at doubtful candidates drawn too large; on unless a bench compares */
  tightCloseUps?: boolean;
  /** close-ups and looks at candidates inside persons' head bands too; off unless a bench compares */
  closeUpsInHeadBands?: boolean;
}

/**
 * Overlap above which two boxes of a class are one thing. People in a group overlap a lot, and
 * suppressing one of them would leave a head unredacted, so persons merge only when nearly equal.
 */
const MERGE = { face: 0.3, text: 0.3, vehicle: 0.5, person: 0.7 } as const;

/** a plate can stick out of a tight vehicle box; look a little beyond it */
const VEHICLE_MARGIN = 0.1;

/**
 * Every detector the redaction needs: faces near and far, persons and vehicles on the whole image,
 * then text inside each vehicle (plates). If any model fails to load, this rejects: the caller must
 * then withhold frames (fail closed), not run with fewer models.
 */
export async function createVisionDetector(opts: VisionOptions): Promise<Detector> {
  const [faces, objects, text] = await Promise.all([
    createFaceDetector({
      nearThreshold: opts.faceThreshold,
      farThreshold: opts.farFaceThreshold,
      tileSize: opts.faceTileSize ?? 0,
      upsideDown: opts.searchUpsideDown ?? false,
      ...(opts.smallCloseUpFrom === undefined ? {} : { smallCloseUpFrom: opts.smallCloseUpFrom }),
      ...(opts.magnifiedLooks === undefined ? {} : { magnifiedLooks: opts.magnifiedLooks }),
      ...(opts.tightCloseUps === undefined ? {} : { tightCloseUps: opts.tightCloseUps }),
      ...(opts.ssdLooks === undefined ? {} : { ssdLooks: opts.ssdLooks }),
      ...(opts.plainSsdLooks === undefined ? {} : { plainSsdLooks: opts.plainSsdLooks }),
    }),
    createCocoSsd({
      personThreshold: opts.personThreshold,
      vehicleThreshold: opts.vehicleThreshold,
      ...(opts.objectModel ? { model: opts.objectModel } : {}),
    }),
    createTextDetector({ threshold: opts.textThreshold }),
  ]);
  const whole = [faces, objects];
  const reuse = new TextReuse();
  return {
    models: [...whole.flatMap((p) => [...p.models]), ...text.models],
    async detect(img: RgbImage, scene?: string): Promise<Detection[]> {
      // together: one detector's libvips resize runs on the thread pool while the other's model runs
      // (less wall time a frame for the same CPU: docs/performance.md, "Figures behind code choices").
      // The face search waits for the persons only before its close-ups: none is spent on a candidate
      // inside a head band, which is redacted anyway (docs/performance.md, "Close-ups where no head band is")
      const objectsFound = objects.detect(img);
      // the persons as the result keeps them (merged per class, as below), so the bands are those redacted
      const heads = objectsFound.then((ds) =>
        opts.closeUpsInHeadBands
          ? []
          : nms(
              ds.filter((d) => d.cls === 'person'),
              MERGE,
            ).map((d) => headBand(d.box, img.width, img.height)),
      );
      heads.catch(() => {}); // a failure is the persons' own, reported through objectsFound
      const all: Detection[] = (await Promise.all([faces.detectOutside(img, heads), objectsFound])).flat();
      const vehicles = all.filter((d) => d.cls === 'vehicle').map((d) => growBox(d.box, VEHICLE_MARGIN));
      if (vehicles.length > 0) {
        // parked vehicles: the text found in unchanged pixels of the same scene is still there
        all.push(
          ...(scene === undefined
            ? await text.detect(img, vehicles)
            : await reuse.find(scene, img, vehicles, (a) => text.detect(img, [a]))),
        );
      }
      return nms(all, MERGE);
    },
    async close() {
      await Promise.all([...whole, text].map((p) => p.close()));
    },
  };
}
