/**
 * Resolves on the first SIGINT or SIGTERM. A second one more than 2 s later exits at once; one sooner
 * is the same Ctrl-C arriving twice (from the terminal's process group and forwarded by npm).
 * One listener stays installed throughout: removing the last listener makes Node restore the
 * default action, and a signal landing in that gap (npm forwards Ctrl-C a moment after the
 * terminal sends it) killed the process mid-shutdown; strace showed it.
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      if (first === 0) {
        first = Date.now();
        resolve(sig);
      } else if (Date.now() - first > 2_000) {
        process.exit(sig === 'SIGINT' ? 130 : 143);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** Runs a shutdown, but exits anyway (code 1) if it has not finished in time: systemd must not wait forever. */
export async function stopWithin(ms: number, stop: () => Promise<void>): Promise<void> {
  const timer = setTimeout(() => {
    console.error(`veilgate: shutdown did not finish within ${ms / 1000} s; exiting`);
    process.exit(1);
  }, ms);
  timer.unref();
  await stop();
  clearTimeout(timer);
}
