import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stderr (stdout is for command output). Secret-bearing keys are censored
 * wherever they appear, as a second line of defence behind not logging them at all.
 */
export function createLogger(
  level: string,
  name = 'veilgate',
  destination: DestinationStream = pino.destination(2),
): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths: ['password', 'secret', '*.password', '*.secret', 'upstream.password'], censor: '[redacted]' },
    },
    destination,
  );
}
