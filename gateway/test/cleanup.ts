import type { TestContext } from 'node:test';

/**
 * Cleanups run last-registered first, as resources are torn down in reverse of how they were made:
 * node:test runs `t.after` hooks first-registered first, so a folder removed in an earlier hook is
 * gone while the gateway that writes into it still runs (ENOTEMPTY). Each runs even if one before it failed.
 */
export function cleanups(t: TestContext): (fn: () => unknown) => void {
  const fns: Array<() => unknown> = [];
  t.after(async () => {
    let failed: unknown = null;
    for (const fn of fns.reverse()) {
      try {
        await fn();
      } catch (e) {
        failed ??= e;
      }
    }
    if (failed) throw failed;
  });
  return (fn) => void fns.push(fn);
}
