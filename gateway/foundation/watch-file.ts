import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `changed` (debounced) when `file` is written, replaced or renamed into place. Watches the
 * directory, not the file: editors and deploy tools save by writing a new file and renaming it,
 * which a watch on the old inode never sees.
 */
export function watchFile(file: string, changed: () => void, debounceMs = 300): { close(): void } {
  const name = basename(file);
  let timer: NodeJS.Timeout | null = null;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, changedName) => {
      if (changedName !== null && changedName !== name) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        changed();
      }, debounceMs);
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    // no directory to watch: the policy can still be reloaded with SIGHUP
  }
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher?.close();
    },
  };
}
