import pino, { type DestinationStream, type Logger } from 'pino';

/** pino JSON logs; credentials that could appear in logged objects are censored. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'keyward' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-api-key"]',
          '*.password',
          '*.secret',
        ],
        censor: '***',
      },
    },
    destination,
  );
}
