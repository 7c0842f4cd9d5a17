import type { Logger } from '../log.ts';
import { describeStorageError } from './describe-error.ts';

/**
 * Writes to the audit log or outbox that failed outside a device's request (a window, a head, an
 * uplink change): logged in words and counted for the status page and /metrics. A failure inside a
 * device's request is not here: it goes back to the device unacknowledged.
 */
export class StorageFaults {
  count = 0;

  constructor(private readonly log: Logger) {}

  failed(e: Error): void {
    this.count++;
    this.log.error({ err: describeStorageError(e) }, 'could not write the audit log or outbox');
  }

  /** the status page's warning, if any */
  warnings(): string[] {
    return this.count ? [`${this.count} write(s) to the audit log or outbox failed: check the disk.`] : [];
  }
}
