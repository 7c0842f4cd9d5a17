import { z } from 'zod';
import { DeviceId, FLEET_LEVEL, ZoneName } from '../../../devices/index.ts';
// the names only: models/index.ts would load the image and model runtimes into every command that reads a config
import { SSD_MODELS } from '../../../models/model-names.ts';

const HostName = z.string().min(1).describe('address to bind; 127.0.0.1 keeps it on this machine');
const Port = z.number().int().min(0).max(65_535);

export const BrokerConfig = z.strictObject({
  host: HostName.default('127.0.0.1'),
  port: Port.default(1883).describe('plain MQTT listener port (0 picks a free one)'),
  allowAnonymous: z
    .boolean()
    .default(false)
    .describe('labs only: let clients without credentials use topics outside devices/ and local/'),
  maxFrameBytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(2 * 1024 * 1024)
    .describe('largest JPEG frame a camera may publish (its PUBLISH packet limit, plus room for the topic)'),
  tcpNoDelay: z
    .boolean()
    .default(true)
    .describe(
      "send each client's writes at once (TCP_NODELAY). The broker already sends all that one loop turn delivers to a client in one write, so Nagle's algorithm (false) saves no CPU measurably and only delays delivery (docs/performance.md)",
    ),
  limits: z
    .strictObject({
      sensorPacketBytes: z
        .number()
        .int()
        .min(256)
        .max(1024 * 1024)
        .default(16 * 1024)
        .describe('largest PUBLISH a sensor may send'),
      controlPacketBytes: z
        .number()
        .int()
        .min(256)
        .max(1024 * 1024)
        .default(64 * 1024)
        .describe('largest packet of any other kind, and any PUBLISH from a local consumer or anonymous client'),
      maxConnections: z
        .number()
        .int()
        .min(1)
        .max(100_000)
        .default(1000)
        .describe('connections beyond this are closed at once'),
      connectTimeoutMs: z
        .number()
        .int()
        .min(500)
        .max(120_000)
        .default(10_000)
        .describe(
          'a client that has not completed CONNECT (and its TLS handshake or WebSocket upgrade) by then is disconnected',
        ),
      maxPendingPerAddress: z
        .number()
        .int()
        .min(1)
        .max(10_000)
        .default(64)
        .describe(
          'connections one address (an IPv6 /64) may hold before logging in, over every listener together; more are closed at once (devices behind one NAT that reconnect together share it)',
        ),
      maxTopicBytes: z.number().int().min(32).max(65_535).default(256).describe('longest topic name in a PUBLISH'),
      maxTopicLevels: z
        .number()
        .int()
        .min(2)
        .max(100)
        .default(8)
        .describe('most topic levels in a PUBLISH or subscription filter'),
      maxInflightInbound: z
        .number()
        .int()
        .min(1)
        .max(65_535)
        .default(100)
        .describe('QoS 2 messages a client may leave awaiting PUBREL'),
      maxSubscriptionsPerClient: z
        .number()
        .int()
        .min(1)
        .max(100_000)
        .default(100)
        .describe('subscription filters one client may hold; one more closes its connection'),
      authFailuresBeforeBackoff: z
        .number()
        .int()
        .min(1)
        .max(100)
        .default(3)
        .describe('failed logins from one address before it must wait'),
      subscriberBacklogBytes: z
        .number()
        .int()
        .min(16 * 1024)
        .max(64 * 1024 * 1024)
        .default(1024 * 1024)
        .describe(
          'bytes a subscriber may leave unread; past this it is disconnected (device intake never waits for a subscriber)',
        ),
      subscriberBacklogSeconds: z
        .number()
        .int()
        .min(1)
        .max(600)
        .default(10)
        .describe('seconds a subscriber may leave its socket full; past this it is disconnected'),
    })
    .prefault({})
    .describe('hard limits, enforced on the raw socket before a packet is buffered'),
  tls: z
    .strictObject({
      enabled: z.boolean().default(false),
      host: HostName.default('127.0.0.1'),
      port: Port.default(8883).describe('mqtts listener port'),
      certFile: z.string().optional().describe('server certificate (PEM); `veilgate certs init` makes one'),
      keyFile: z.string().optional().describe('server key (PEM)'),
      caFile: z.string().optional().describe('CA (PEM) whose client certificates identify devices'),
      clientCertAuth: z
        .boolean()
        .default(false)
        .describe(
          'a device may log in with a client certificate from caFile whose CN is its id and that the registry holds as its current one (`veilgate certs device`), instead of a password',
        ),
      deviceCertDays: z
        .number()
        .int()
        .min(1)
        .max(825)
        .default(90)
        .describe(
          'days a device certificate made by `veilgate certs device` is valid; `veilgate doctor` warns 30 days before one expires',
        ),
    })
    .refine(
      (t) => !t.enabled || (t.certFile && t.keyFile),
      'tls.enabled needs certFile and keyFile (veilgate certs init makes them)',
    )
    .refine(
      (t) => !t.clientCertAuth || t.caFile,
      'tls.clientCertAuth needs caFile: the CA that signs device certificates',
    )
    .prefault({})
    .describe('the MQTT over TLS listener'),
  websocket: z
    .strictObject({
      enabled: z.boolean().default(false),
      host: HostName.default('127.0.0.1'),
      port: Port.default(8083).describe('MQTT over WebSocket listener port'),
      maxPayload: z
        .number()
        .int()
        .min(1024)
        .max(64 * 1024 * 1024)
        .default(2 * 1024 * 1024 + 1024)
        .describe('largest WebSocket message (ws maxPayload)'),
    })
    .prefault({})
    .describe('the MQTT over WebSocket listener (for browsers and proxies)'),
});

const UpstreamUrl = z.string().regex(/^mqtts?:\/\/[^\s]+$/, 'an upstream url starts with mqtt:// or mqtts://');

export const UpstreamConfig = z.strictObject({
  url: UpstreamUrl.default('mqtt://127.0.0.1:1884').describe("the agency's broker"),
  urls: z
    .array(UpstreamUrl)
    .min(1)
    .max(16)
    .optional()
    .describe(
      "the nodes of the agency's broker cluster, in place of url: the uplink connects to one and, when it loses it or cannot reach it, to the next, with the same back-off, credentials and TLS",
    ),
  topicPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'topic levels of A-Z a-z 0-9 _ . - separated by /')
    .default('veilgate')
    .describe('records go to {topicPrefix}/{gatewayId}/{deviceId}/{recordType}'),
  username: z.string().optional().describe('upstream user name'),
  password: z
    .string()
    .optional()
    .describe('upstream password; prefer the VEILGATE_UPSTREAM_PASSWORD environment variable'),
  caFile: z.string().optional().describe('CA certificate (PEM) to trust for mqtts://'),
  certFile: z.string().optional().describe('client certificate (PEM) for mqtts://'),
  keyFile: z.string().optional().describe('client key (PEM) for mqtts://'),
  reconnectMinMs: z
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(1_000)
    .describe('first reconnect delay; it doubles on each failure, with jitter'),
  reconnectMaxMs: z.number().int().min(1_000).max(3_600_000).default(60_000).describe('longest reconnect delay'),
  ackTimeoutMs: z
    .number()
    .int()
    .min(1_000)
    .max(600_000)
    .default(30_000)
    .describe(
      'a record the broker has not acknowledged for this long means the connection is not working (a cluster node that lost a message in a failover): it is closed, and everything unacknowledged is sent again on the next',
    ),
  inFlight: z
    .number()
    .int()
    .min(1)
    .max(65_535)
    .default(256)
    .describe('records published and not yet acknowledged at once'),
  healthSeconds: z
    .number()
    .int()
    .min(5)
    .max(3600)
    .default(60)
    .describe(
      "how often the gateway's health (backlog, devices online, warnings) is published, retained, for the agency's fleet view (veilgate fleet status)",
    ),
});

const PolicyFile = z.string().min(1).describe('the local policy file; relative to the config file');

export const PolicyConfig = z.union(
  [
    PolicyFile.transform((file) => ({ file, trustedKeys: [] as string[] })),
    z.strictObject({
      file: PolicyFile.default('./policies/default.yaml'),
      trustedKeys: z
        .array(z.string().min(1))
        .max(32)
        .default([])
        .describe(
          "public keys (PEM, or a PEM file relative to the config file) of the privacy officers whose signed policies this gateway takes from {topicPrefix}/fleet/policies/ on the agency's broker; empty: only the local file",
        ),
    }),
  ],
  { error: 'the policy file (a path), or {file, trustedKeys}' },
);

export type UpstreamConfig = z.infer<typeof UpstreamConfig>;

/** The agency's side of a fleet (`veilgate policy publish`, `policy status`): its broker, as the gateways reach it. */
export const AgencyConfig = z.strictObject({
  upstream: UpstreamConfig.describe(
    "the agency's broker: url or urls, topicPrefix, credentials and TLS as in a gateway's config",
  ),
});
export type AgencyConfig = z.infer<typeof AgencyConfig>;

export const OutboxConfig = z.strictObject({
  maxBytes: z
    .number()
    .int()
    .min(1024 * 1024)
    .default(256 * 1024 * 1024)
    .describe('most bytes of records waiting for the uplink (the SD card must not fill up)'),
  maxAgeSeconds: z
    .number()
    .int()
    .min(60)
    .default(14 * 86_400)
    .describe('a record waiting longer than this is dropped and audited'),
  whenFull: z
    .enum(['refuse-new', 'drop-oldest'])
    .default('refuse-new')
    .describe(
      'refuse-new keeps every record already accepted (devices are refused and retry); drop-oldest keeps the newest',
    ),
  commitWindowMs: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(25)
    .describe(
      'group commit: an accepted event waits up to this long for others to share its write and fsync before its PUBACK (fewer SD card writes, a little more latency)',
    ),
});

export const HttpConfig = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe('serve the status page, /healthz, /readyz and Prometheus /metrics over HTTP'),
  host: HostName.default('127.0.0.1').describe(
    'address to bind; beyond loopback a login is required (`veilgate status-login NAME`)',
  ),
  port: Port.default(9464).describe('HTTP listener port (0 picks a free one)'),
  requireLogin: z
    .boolean()
    .default(false)
    .describe('ask for a login on loopback too (it is always asked for beyond loopback)'),
  certFile: z
    .string()
    .optional()
    .describe('serve HTTPS with this certificate (PEM); recommended when bound beyond loopback'),
  keyFile: z.string().optional().describe('the HTTPS key (PEM)'),
  preview: z
    .boolean()
    .default(true)
    .describe(
      "show each camera's latest redacted frame on the status page (never a raw one); off keeps images off the page",
    ),
});

const RTSP_URL = /^rtsps?:\/\/[^@\s/]+(\/\S*)?$/;

const MaskPolygon = z
  .array(z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]))
  .min(3, 'a mask polygon has at least 3 points');

/** Keys that only an RTSP camera takes: an MQTT camera sends its frames at its own rate and size. */
const RTSP_ONLY = ['username', 'password', 'fps', 'stallSeconds', 'detect', 'hwaccel', 'keyframesOnly'] as const;

/** What a camera's RTSP keys default to. */
export const RTSP_DEFAULTS = { fps: 2, stallSeconds: 15, hwaccel: 'auto', keyframesOnly: false } as const;

/** Everything about one camera, in one place (its id is the key under `cameras:`). */
export const CameraConfig = z
  .strictObject({
    source: z
      .string()
      .refine((s) => s === 'mqtt' || RTSP_URL.test(s), {
        message:
          'mqtt, or rtsp://host[:port]/path without credentials (set username, and the password in VEILGATE_CAMERA_<ID>_PASSWORD)',
      })
      .describe(
        'mqtt: the camera publishes JPEG frames as the MQTT device of this id (veilgate devices add ID --kind camera); or its RTSP stream, pulled with ffmpeg',
      ),
    zone: ZoneName.optional().describe(
      'where the camera is, as policies name it (rules may match on zones); `veilgate devices zone ID ZONE` sets it here',
    ),
    masks: z
      .array(MaskPolygon)
      .default([])
      .describe(
        'fixed privacy masks: polygons of [x, y] in 0..1 of the upright frame (windows of homes), filled before detection',
      ),
    orientation: z
      .strictObject({
        rotate: z
          .union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)])
          .default(0)
          .describe("degrees clockwise that turn the camera's frames upright (180: mounted upside down)"),
        flip: z.boolean().default(false).describe('mirror the frames left to right, after the rotation'),
      })
      .optional()
      .describe('how the camera is mounted: its frames are turned upright before masks and detectors'),
    username: z.string().optional().describe('RTSP: the stream login'),
    password: z.string().optional().describe('RTSP: prefer the VEILGATE_CAMERA_<ID>_PASSWORD environment variable'),
    fps: z
      .number()
      .min(0.1)
      .max(30)
      .optional()
      .describe(
        `RTSP: frames per second taken from the stream for redaction and description (default ${RTSP_DEFAULTS.fps})`,
      ),
    stallSeconds: z
      .number()
      .int()
      .min(2)
      .max(300)
      .optional()
      .describe(`RTSP: no frame for this long and ffmpeg is restarted (default ${RTSP_DEFAULTS.stallSeconds})`),
    detect: z
      .strictObject({
        width: z.number().int().min(64).max(4096).optional(),
        height: z.number().int().min(64).max(4096).optional(),
      })
      .optional()
      .describe(
        'RTSP: the size frames are analysed (and snapshots made) at; ffmpeg scales to it once. Give one side to keep the aspect ratio. Default: the source size, at most 1280 wide',
      ),
    hwaccel: z
      .string()
      .regex(/^[a-z0-9_]+$/, 'auto, none, or an ffmpeg hwaccel such as vaapi, drm or v4l2m2m')
      .optional()
      .describe(
        'RTSP: hardware decoding: auto (ffmpeg picks, else software; the default), none, an ffmpeg -hwaccel method (vaapi, drm, cuda...), or v4l2m2m (the Raspberry Pi 4 H.264 decoder). If it fails the camera is decoded in software, with a warning',
      ),
    keyframesOnly: z
      .boolean()
      .optional()
      .describe(
        'RTSP: decode only keyframes (ffmpeg -skip_frame nokey): most of the decoding is skipped, for cameras analysed at 1 fps or less',
      ),
  })
  .superRefine((c, ctx) => {
    if (c.source === 'mqtt') {
      for (const key of RTSP_ONLY)
        if (c[key] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `${key} is for RTSP cameras; an MQTT camera sends its frames at its own rate and size`,
          });
    } else if (c.keyframesOnly && (c.fps ?? RTSP_DEFAULTS.fps) > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['keyframesOnly'],
        message:
          'keyframesOnly is for cameras analysed at 1 fps or less (a keyframe comes every second or two): lower fps, or turn it off',
      });
    }
  });
export type CameraConfig = z.infer<typeof CameraConfig>;

const pin = z
  .number()
  .int()
  .min(0)
  .max(1023)
  .describe('the line offset on the GPIO chip (on a Pi: the BCM GPIO number)');
const gpioId = DeviceId.describe("the sensor's id in records and policies (not an MQTT identity)");

/** A sensor wired to the gateway's own GPIO pins, read through johnny-five. */
export const GpioSensorConfig = z.discriminatedUnion('kind', [
  z.strictObject({
    id: gpioId,
    kind: z.literal('pir').describe('passive infrared motion sensor, output high while it sees motion: motion events'),
    pin,
    options: z
      .strictObject({
        calibrationMs: z
          .number()
          .int()
          .min(0)
          .max(120_000)
          .default(2000)
          .describe('PIR modules report noise while they warm up: no event before this long after start'),
      })
      .prefault({}),
  }),
  z.strictObject({
    id: gpioId,
    kind: z.literal('door').describe('door or window contact between the pin and ground: door events'),
    pin,
    options: z
      .strictObject({
        contact: z
          .enum(['NO', 'NC'])
          .default('NO')
          .describe(
            'NO: the contact is closed while the door is shut (a reed switch and its magnet); NC: the opposite',
          ),
      })
      .prefault({}),
  }),
  z.strictObject({
    id: gpioId,
    kind: z.literal('panic').describe('panic button between the pin and ground: panic events press, hold, release'),
    pin,
    options: z
      .strictObject({
        holdMs: z.number().int().min(100).max(30_000).default(2000).describe('pressed this long: a hold event'),
        pullUp: z
          .boolean()
          .default(true)
          .describe(
            'the button connects the pin to ground and the pin is pulled up; false: it connects the pin to 3.3 V',
          ),
      })
      .prefault({}),
  }),
  z.strictObject({
    id: gpioId,
    kind: z
      .literal('sound')
      .describe('sound module with a digital threshold output (comparator): a sound_level event when it trips'),
    pin,
    options: z.strictObject({
      dbA: z
        .number()
        .min(0)
        .max(200)
        .describe("the level the module's comparator is set to trip at, reported as the event's dbA"),
      activeLow: z.boolean().default(false).describe('the output goes low when loud'),
    }),
  }),
]);
export type GpioSensorConfig = z.infer<typeof GpioSensorConfig>;

export const GpioConfig = z.strictObject({
  io: z
    .enum(['gpiod', 'simulated'])
    .default('gpiod')
    .describe(
      'gpiod: the Linux GPIO character device through the libgpiod tools (Debian package gpiod); simulated: pins driven by tests and scenarios',
    ),
  chip: z
    .string()
    .regex(/^[\w.-]+$/)
    .default('gpiochip0')
    .describe(
      'the GPIO chip the pins are on (gpiodetect lists them; gpiochip0 on a Pi 4; on a Pi 5 the header is gpiochip4 with older kernels, gpiochip0 with newer ones: check gpioinfo)',
    ),
});

export const EventsConfig = z.strictObject({
  maxFutureSeconds: z
    .number()
    .int()
    .min(0)
    .max(86_400)
    .default(300)
    .describe('a sensor event dated further ahead of the gateway clock is refused (EVENT_TIME_FUTURE)'),
  maxAgeSeconds: z
    .number()
    .int()
    .min(60)
    .max(365 * 86_400)
    .default(7 * 86_400)
    .describe('a sensor event dated longer ago is refused (EVENT_TIME_STALE)'),
});

export const AuditConfig = z.strictObject({
  segmentBytes: z
    .number()
    .int()
    .min(64 * 1024)
    .default(16 * 1024 * 1024)
    .describe('the active audit file is closed as a numbered segment once it is this large'),
  retainDays: z
    .number()
    .int()
    .min(1)
    .default(400)
    .describe('segments last written longer ago are removed; the chain stays verifiable from an anchor recorded in it'),
  maxTotalBytes: z
    .number()
    .int()
    .min(1024 * 1024)
    .default(2 * 1024 * 1024 * 1024)
    .describe(
      'the oldest segments are removed while the audit files together are larger than this (the SD card must not fill up)',
    ),
  windowSeconds: z
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(60)
    .describe(
      "frequent events (a camera's frames and their decisions, repeated refusals, withholds) are counted per device and recorded, and synced, once per window of this length: longer spares the SD card, shorter loses fewer counts in a power cut",
    ),
  headIntervalSeconds: z
    .number()
    .int()
    .min(5)
    .default(300)
    .describe(
      'how often the chain head (seq and hash) is published upstream, retained, so a deleted tail is detectable',
    ),
});

export const VisionConfig = z.strictObject({
  faceThreshold: z
    .number()
    .min(0.05)
    .max(0.99)
    .default(0.6)
    .describe('near-face detector (BlazeFace 128) minimum score; measured: real faces 0.78-0.92, a cat 0.52'),
  farFaceThreshold: z
    .number()
    .min(0.05)
    .max(0.99)
    .default(0.85)
    .describe('far-face detector (BlazeFace 256) minimum score; it fires on cups and cats below ~0.85'),
  faceTileSize: z
    .union([z.literal(0), z.number().int().min(256).max(8192)])
    .default(768)
    .describe(
      'faces are also searched in overlapping tiles of this many pixels a side in frames larger than about that, so small faces (most from 14 px, nearly all from 16 px) are found in a 1080p or 4K frame, at its edges, or in a panoramic strip (a small one the far model is unsure of is confirmed by the near model on a close-up, or by the far model on a magnified look); 0 searches the whole frame only (a frame more than 4 times as wide as high, or high as wide, is then redacted whole)',
    ),
  searchUpsideDown: z
    .boolean()
    .default(true)
    .describe(
      'faces are also searched in each frame turned upside down (a camera mounted the wrong way round); two small model runs a frame',
    ),
  personThreshold: z
    .number()
    .min(0.05)
    .max(0.99)
    .default(0.2)
    .describe(
      'person detector (SSD MobileNetV2) minimum score for redaction: the head of every person found is redacted. Low on purpose: on real CCTV (vtest.avi) walking people score 0.2-0.95, and a missed person is an exposed face',
    ),
  objectModel: z
    .enum(SSD_MODELS)
    .default('ssd-mobilenet-v2-coco-int8')
    .describe(
      "the person and vehicle detector: SSD MobileNetV2 cut to the classes used and quantized to int8 (40% of the float model's time; on real CCTV it finds every person the float model finds from score 0.5, and 92% of those between 0.2 and 0.5), or the float model it is made from",
    ),
  vehicleThreshold: z
    .number()
    .min(0.05)
    .max(0.99)
    .default(0.5)
    .describe('vehicle detector (SSD MobileNetV2) minimum score; text inside every vehicle found (plates) is redacted'),
  countThreshold: z
    .number()
    .min(0.05)
    .max(0.99)
    .default(0.5)
    .describe(
      'persons and vehicles are counted in observations from this score: redact generously, count conservatively',
    ),
  textThreshold: z
    .number()
    .min(0.05)
    .max(0.99)
    .default(0.6)
    .describe('text detector (PP-OCRv4) minimum mean probability of a text region inside a vehicle'),
  queueLength: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(4)
    .describe('frames waiting per camera; the oldest is dropped when full'),
  motion: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe('skip detection on frames where nothing moved, reusing the last detections'),
      threshold: z
        .number()
        .min(1)
        .max(128)
        .default(10)
        .describe('grey-level change (0-255) of any cell of a 64x36 thumbnail that counts as movement'),
      refreshFrames: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(10)
        .describe('run the detector at least every this many frames anyway'),
      detectEvery: z
        .number()
        .int()
        .min(1)
        .max(25)
        .default(1)
        .describe(
          'while things move, run the detector on every Nth frame only; between, the last boxes are reused, grown by 15% of their size per frame (cheaper, and coarser redaction)',
        ),
    })
    .prefault({})
    .describe('the motion gate before detection'),
  holdFrames: z
    .number()
    .int()
    .min(0)
    .max(100)
    .default(5)
    .describe('a region stays redacted for this many following frames of its camera even if the detector misses it'),
  workers: z
    .number()
    .int()
    .min(1)
    .max(16)
    .default(1)
    .describe(
      'frame worker threads, each with its own models (about 100 MiB each); a camera always uses the same one. More than one helps only with several cameras',
    ),
  frameTimeoutMs: z
    .number()
    .int()
    .min(500)
    .max(120_000)
    .default(10_000)
    .describe('a frame not processed within this is withheld (FRAME_TIMEOUT) and its worker restarted'),
  threads: z
    .union([z.literal('auto'), z.number().int().min(1).max(64)])
    .default('auto')
    .describe('threads for image work (libvips); auto leaves one core for the broker: cores - 1, at least 1'),
});

export const GatewayConfig = z
  .strictObject({
    gatewayId: DeviceId.refine((id) => id !== FLEET_LEVEL, {
      message: `"${FLEET_LEVEL}" is the topic level of what the agency sends its gateways; choose another gateway id`,
    })
      .default('veilgate-1')
      .describe("this gateway's id in upstream topics"),
    dataDir: z
      .string()
      .min(1)
      .default('./data')
      .describe('registry, outbox and audit log live here; relative to the config file'),
    policy: PolicyConfig.prefault('./policies/default.yaml').describe(
      'the policy file (a path), or {file, trustedKeys} to also take signed policies from the agency',
    ),
    broker: BrokerConfig.prefault({}).describe('the MQTT broker devices connect to'),
    upstream: UpstreamConfig.prefault({}).describe("where approved records go: the agency's broker"),
    vision: VisionConfig.prefault({}).describe('detection and redaction of camera frames'),
    outbox: OutboxConfig.prefault({}).describe('bounds of the durable store of records waiting for the uplink'),
    http: HttpConfig.prefault({}).describe('the local status page, health checks and Prometheus metrics'),
    cameras: z
      .record(DeviceId, CameraConfig)
      .default({})
      .describe(
        'every camera by its id, with all its settings: where its frames come from (MQTT or RTSP), its zone, masks and mounting',
      ),
    events: EventsConfig.prefault({}).describe('what sensor events the gateway accepts'),
    gpio: GpioConfig.prefault({}).describe(
      'how the gateway reads its own GPIO pins; used only when sensors are configured',
    ),
    sensors: z
      .array(GpioSensorConfig)
      .default([])
      .describe(
        "sensors wired to the gateway's GPIO pins; their events take the same policy and audit path as MQTT sensors",
      ),
    audit: AuditConfig.prefault({}).describe(
      'rotation, retention and upstream publication of the tamper-evident audit log',
    ),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('log verbosity; logs are JSON on stderr'),
  })
  .superRefine((c, ctx) => {
    // one id names one device in records and policies; one pin is one wire
    const cameras = new Set(Object.keys(c.cameras));
    c.sensors.forEach((d, i) => {
      if (cameras.has(d.id))
        ctx.addIssue({ code: 'custom', path: ['sensors', i, 'id'], message: `the id "${d.id}" is a camera's too` });
      if (c.sensors.findIndex((o) => o.id === d.id) < i)
        ctx.addIssue({ code: 'custom', path: ['sensors', i, 'id'], message: `the id "${d.id}" is used twice` });
    });
    const pins = new Set<number>();
    c.sensors.forEach((s, i) => {
      if (pins.has(s.pin))
        ctx.addIssue({ code: 'custom', path: ['sensors', i, 'pin'], message: `pin ${s.pin} is used by two sensors` });
      pins.add(s.pin);
    });
  });
export type GatewayConfig = z.infer<typeof GatewayConfig>;
