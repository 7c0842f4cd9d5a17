import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real, tiny filesystem (tmpfs) to fill up or make read-only. Needs root (CI runs as root);
 * elsewhere tests that use it are skipped with this reason.
 */
export const SMALL_DISK_UNAVAILABLE = probe();

function probe(): string | false {
  if (process.getuid?.() !== 0) return 'needs root to mount a small tmpfs (CI runs as root)';
  const dir = mkdtempSync(join(tmpdir(), 'veilgate-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return false;
  } catch {
    return 'this machine does not allow mounting a tmpfs';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface SmallDisk {
  dir: string;
  readOnly(on: boolean): void;
  dispose(): void;
}

export function mountSmallDisk(bytes: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'veilgate-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  return {
    dir,
    readOnly(on) {
      execFileSync('mount', ['-o', `remount,${on ? 'ro' : 'rw'}`, dir]);
    },
    dispose() {
      try {
        execFileSync('umount', ['-l', dir]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
