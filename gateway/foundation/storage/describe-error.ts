/** What a person should do about a storage or start error: the errno said in words, with the fix. */
export function describeStorageError(e: Error): string {
  const { address, port } = e as { address?: string; port?: number };
  const where = address ? `${address}${port === undefined ? '' : `:${port}`}` : '';
  switch ((e as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: another program uses it (another veilgate?); stop it or change the port in the config`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: it is not an address of this machine (yet). At boot, start veilgate after the network is up (the systemd unit waits for network-online.target), or listen on 0.0.0.0`;
    case 'EACCES':
      if (where) return `cannot listen on ${where}: ports below 1024 need privileges; use a higher port`;
      return e.message;
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
