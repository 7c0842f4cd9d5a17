import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';

/**
 * Where a camera's settings lived before `cameras.<id>` held them all: an RTSP list under `cameras:`,
 * masks and mounting under `vision:`, zones in the device registry.
 */
export interface OldCameraKey {
  /** the key as written, e.g. `vision.masks` */
  path: string;
  line: number;
  column: number;
}

/** The keys of the old form in a config's text, with where they are. Empty for a config in the new form. */
export function oldCameraKeys(text: string): OldCameraKey[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0 || !isMap(doc.contents)) return [];
  const found: OldCameraKey[] = [];
  const at = (path: string, key: unknown) => {
    const offset = isScalar(key) && key.range ? key.range[0] : 0;
    const { line, col } = lineCounter.linePos(offset);
    found.push({ path, line, column: col });
  };
  for (const pair of doc.contents.items) {
    const name = isScalar(pair.key) ? pair.key.value : null;
    if (name === 'cameras' && isSeq(pair.value)) at('cameras', pair.key);
    if (name === 'vision' && isMap(pair.value))
      for (const inner of pair.value.items) {
        const k = isScalar(inner.key) ? inner.key.value : null;
        if (k === 'masks' || k === 'orientation') at(`vision.${String(k)}`, inner.key);
      }
  }
  return found;
}

export interface CameraMigration {
  /** the config's text in the new form; the rest of the file (and its comments) as it was */
  text: string;
  /** the new `cameras:` section alone, to show */
  section: string;
  /** camera ids whose zone came from the device registry */
  zonesFromRegistry: string[];
}

type Camera = Record<string, unknown> & { source: string };

/**
 * The config rewritten to the new form: one entry per camera id under `cameras:`, holding its source
 * (mqtt, or the RTSP url), its RTSP settings, masks, mounting and zone. `registryZones` are the zones
 * the device registry holds for MQTT cameras, to move into the config.
 */
export function migrateCameras(text: string, registryZones: Readonly<Record<string, string>> = {}): CameraMigration {
  const doc = parseDocument(text);
  const js = (doc.toJS() ?? {}) as { cameras?: unknown; vision?: { masks?: unknown; orientation?: unknown } };
  const cameras: Record<string, Camera> = {};
  const camera = (id: string): Camera => (cameras[id] ??= { source: 'mqtt' });
  if (Array.isArray(js.cameras)) {
    for (const c of js.cameras as Array<Record<string, unknown>>) {
      const { id, url, ...rest } = c;
      cameras[String(id)] = { source: String(url), ...rest };
    }
  } else if (js.cameras && typeof js.cameras === 'object') {
    Object.assign(cameras, js.cameras);
  }
  for (const [id, masks] of Object.entries((js.vision?.masks as Record<string, unknown>) ?? {}))
    camera(id).masks = masks;
  for (const [id, o] of Object.entries((js.vision?.orientation as Record<string, unknown>) ?? {}))
    camera(id).orientation = o;
  const zonesFromRegistry: string[] = [];
  for (const [id, zone] of Object.entries(registryZones)) {
    if (camera(id).zone === undefined) {
      camera(id).zone = zone;
      zonesFromRegistry.push(id);
    }
  }
  for (const key of ['masks', 'orientation']) if (doc.hasIn(['vision', key])) doc.deleteIn(['vision', key]);
  if (isMap(doc.get('vision')) && (doc.get('vision') as { items: unknown[] }).items.length === 0) doc.delete('vision');
  setCameras(doc, cameras);
  return { text: doc.toString({ flowCollectionPadding: false }), section: sectionText(cameras), zonesFromRegistry };
}

/** Sets (or, with undefined, clears) one camera's zone in the config's text, adding the camera as mqtt if absent. */
export function setCameraZone(text: string, id: string, zone: string | undefined): string {
  const doc = parseDocument(text);
  if (!doc.hasIn(['cameras', id])) {
    if (zone === undefined) return text;
    if (!isMap(doc.get('cameras'))) doc.set('cameras', doc.createNode({}));
    doc.setIn(['cameras', id], doc.createNode({ source: 'mqtt' }));
  }
  if (zone === undefined) doc.deleteIn(['cameras', id, 'zone']);
  else doc.setIn(['cameras', id, 'zone'], zone);
  return doc.toString({ flowCollectionPadding: false });
}

function setCameras(doc: Document, cameras: Record<string, Camera>): void {
  if (Object.keys(cameras).length === 0) doc.delete('cameras');
  else doc.set('cameras', camerasNode(doc, cameras));
}

/** The `cameras:` node: source first (it says what kind of camera the rest is about), polygons on one line each. */
function camerasNode(doc: Document, cameras: Record<string, Camera>) {
  const ordered = Object.fromEntries(
    Object.entries(cameras).map(([id, { source, ...rest }]) => [id, { source, ...rest }]),
  );
  const node = doc.createNode(ordered);
  for (const id of Object.keys(cameras)) {
    const masks = node.getIn([id, 'masks'], true);
    if (isSeq(masks)) for (const polygon of masks.items) if (isSeq(polygon)) polygon.flow = true;
    const orientation = node.getIn([id, 'orientation'], true);
    if (isMap(orientation)) orientation.flow = true;
  }
  return node;
}

/** The new section alone, as the error and `config migrate` show it. */
function sectionText(cameras: Record<string, Camera>): string {
  const doc = new Document({});
  setCameras(doc, cameras);
  return doc.toString({ flowCollectionPadding: false });
}
