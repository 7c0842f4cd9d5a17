/** What a person should do about a storage error: the errno said in words, with the fix. */
export function describeStorageError(e: Error): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOSPC':
      return `the disk holding dataDir is full (${e.message}); free space there. Nothing is lost: events are refused until then and devices send them again`;
    case 'EROFS':
      return `the filesystem holding dataDir is read-only (${e.message}); an SD card often goes read-only when it fails. Replace or remount it`;
    case 'EDQUOT':
      return `the disk quota for dataDir is used up (${e.message})`;
    case 'OUTBOX_FULL':
      return `${e.message} (outbox.maxBytes; outbox.whenFull decides what happens)`;
    default:
      return e.message;
  }
}
