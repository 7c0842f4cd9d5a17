/**
 * Resolves on the first SIGINT or SIGTERM. A second one more than 2 s later exits at once; one sooner
 * is the same Ctrl-C arriving twice (from the terminal's process group and forwarded by npm).
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const first = Date.now();
      const force = (code: number) => () => {
        if (Date.now() - first > 2_000) process.exit(code);
      };
      process.on('SIGINT', force(130));
      process.on('SIGTERM', force(143));
      resolve(sig);
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
