import { Fifo } from '../fifo.ts';

/** Why a connection was cut before its packet reached aedes. Stable codes: logged, counted, audited. */
export const GUARD_CODES = {
  PACKET_TOO_LARGE: 'the packet is larger than this client may send',
  MALFORMED_LENGTH: 'the remaining-length field is longer than 4 bytes',
  TOPIC_TOO_LONG: 'the topic name is longer than broker.limits.maxTopicBytes',
  TOPIC_TOO_DEEP: 'the topic name has more levels than broker.limits.maxTopicLevels',
  TOPIC_HAS_NUL: 'the topic name contains U+0000, which MQTT forbids [MQTT-4.7.3-2]',
  UNSUPPORTED_PROTOCOL_LEVEL: 'the CONNECT asks for a protocol level other than MQTT 3.1 or 3.1.1',
} as const;
export type GuardCode = keyof typeof GUARD_CODES;
/** `reply`: bytes to send before closing (a CONNACK the specification requires). */
export type Violation = { code: GuardCode; detail: string; reply?: Buffer };

/** CONNACK 0x01, unacceptable protocol level [MQTT-3.1.2-2]. */
const CONNACK_BAD_PROTOCOL = Buffer.from([0x20, 0x02, 0x00, 0x01]);

export interface GuardLimits {
  /** PUBLISH packets, until the client is known (pipelined before CONNACK): the largest any kind may send */
  publishBytes: number;
  /** every other packet type (CONNECT, SUBSCRIBE, ...) */
  controlBytes: number;
  maxTopicBytes: number;
  maxTopicLevels: number;
}

const CONNECT = 1;
const PUBLISH = 3;
const SLASH = 0x2f;

/**
 * Reads the MQTT fixed header (and a PUBLISH's topic) of each packet as the bytes arrive, so a
 * client that announces a 20 MiB packet is cut off at its first bytes, before anything is buffered:
 * aedes itself has no packet size limit. Bodies are skipped by count, never copied.
 */
export class MqttGuard {
  private stage: 'type' | 'length' | 'connectHeader' | 'topicLength' | 'topic' | 'body' = 'type';
  private connectHeader: number[] | null = [];
  private type = 0;
  private length = 0;
  private lengthBytes = 0;
  private remaining = 0;
  private topicLength = 0;
  private topicRead = 0;
  private topicLevels = 1;
  private topicLengthHigh = -1;
  /** bytes fed so far */
  private fed = 0;
  /** where each complete packet ended, counted in bytes fed, oldest first (for readWholePackets) */
  readonly packetEnds = new Fifo<number>();

  constructor(private limits: GuardLimits) {}

  /** After authentication: the PUBLISH limit of this client's kind. */
  setPublishLimit(bytes: number): void {
    this.limits = { ...this.limits, publishBytes: bytes };
  }

  feed(chunk: Buffer): Violation | null {
    let i = 0;
    while (i < chunk.length) {
      const before = this.stage;
      switch (this.stage) {
        case 'type':
          this.type = chunk[i++]! >> 4;
          this.length = 0;
          this.lengthBytes = 0;
          this.stage = 'length';
          break;
        case 'length': {
          const b = chunk[i++]!;
          this.length += (b & 0x7f) * 128 ** this.lengthBytes;
          this.lengthBytes++;
          if (b & 0x80) {
            if (this.lengthBytes === 4) return { code: 'MALFORMED_LENGTH', detail: 'a fifth length byte' };
            break;
          }
          const limit = this.type === PUBLISH ? this.limits.publishBytes : this.limits.controlBytes;
          if (this.length > limit)
            return {
              code: 'PACKET_TOO_LARGE',
              detail: `${this.length} bytes announced, at most ${limit} (packet type ${this.type})`,
            };
          this.remaining = this.length;
          this.stage =
            this.type === PUBLISH && this.length >= 2
              ? 'topicLength'
              : this.type === CONNECT && this.connectHeader && this.length > 0
                ? 'connectHeader'
                : this.length > 0
                  ? 'body'
                  : 'type';
          this.topicLengthHigh = -1;
          break;
        }
        case 'connectHeader': {
          // the first CONNECT's protocol name and level: aedes's parser drops a connection with an
          // unknown level without the CONNACK 0x01 the specification requires, so we answer it here
          const h = this.connectHeader!;
          h.push(chunk[i++]!);
          this.remaining--;
          const nameLength = h.length >= 2 ? h[0]! * 256 + h[1]! : -1;
          if (h.length >= 16 || (nameLength >= 0 && (h.length === 2 + nameLength + 1 || this.remaining === 0))) {
            this.connectHeader = null;
            const level = h[2 + nameLength];
            if (level !== undefined && level !== 3 && level !== 4)
              return { code: 'UNSUPPORTED_PROTOCOL_LEVEL', detail: `level ${level}`, reply: CONNACK_BAD_PROTOCOL };
            this.stage = this.remaining > 0 ? 'body' : 'type';
          }
          break;
        }
        case 'topicLength': {
          const b = chunk[i++]!;
          this.remaining--;
          if (this.topicLengthHigh < 0) {
            this.topicLengthHigh = b;
            break;
          }
          this.topicLength = this.topicLengthHigh * 256 + b;
          if (this.topicLength > this.limits.maxTopicBytes)
            return {
              code: 'TOPIC_TOO_LONG',
              detail: `${this.topicLength} bytes, at most ${this.limits.maxTopicBytes}`,
            };
          this.topicRead = 0;
          this.topicLevels = 1;
          this.stage = this.topicLength > 0 ? 'topic' : this.remaining > 0 ? 'body' : 'type';
          break;
        }
        case 'topic': {
          const n = Math.min(chunk.length - i, this.topicLength - this.topicRead, this.remaining);
          for (let j = i; j < i + n; j++) {
            const b = chunk[j]!;
            if (b === SLASH && ++this.topicLevels > this.limits.maxTopicLevels)
              return { code: 'TOPIC_TOO_DEEP', detail: `more than ${this.limits.maxTopicLevels} levels` };
            if (b === 0) return { code: 'TOPIC_HAS_NUL', detail: `at byte ${this.topicRead + j - i}` };
          }
          i += n;
          this.topicRead += n;
          this.remaining -= n;
          if (this.topicRead === this.topicLength || this.remaining === 0)
            this.stage = this.remaining > 0 ? 'body' : 'type';
          break;
        }
        case 'body': {
          const n = Math.min(chunk.length - i, this.remaining);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.stage = 'type';
          break;
        }
      }
      if (this.stage === 'type' && before !== 'type') this.packetEnds.push(this.fed + i);
    }
    this.fed += chunk.length;
    return null;
  }
}
