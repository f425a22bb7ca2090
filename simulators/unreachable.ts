/**
 * The simulator could not reach a part of the platform: says which URL it tried and which setting
 * changes it, instead of a bare "fetch failed" or "connect ECONNREFUSED".
 */
export class PlatformUnreachable extends Error {
  constructor(
    readonly part: 'api' | 'broker',
    readonly url: string,
    cause: unknown,
  ) {
    const why = reasonOf(cause);
    const setting =
      part === 'api'
        ? 'start the platform there, or give its address with --api <url> (or env TRYGHED_API); the platform listens on HTTP_PORT, 8080 unless set'
        : 'give the broker with --mqtt <url> (or env TRYGHED_MQTT): mqtt://host:MQTT_PORT, mqtts://host:MQTT_TLS_PORT with --ca, or ws(s)://host:MQTT_WS_PORT/mqtt';
    super(
      `cannot reach the platform's ${part === 'api' ? 'API' : 'MQTT broker'} at ${url} (${why}): ${setting}`,
      {
        cause,
      },
    );
    this.name = 'PlatformUnreachable';
  }
}

/** The system's error code (ECONNREFUSED, ENOTFOUND, …) from an error or its cause, else its message. */
function reasonOf(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e; depth++) {
    const code = (e as { code?: unknown }).code;
    // a certificate the simulator does not trust: say it in words and what to do about it
    if (typeof code === 'string' && /CERT|SELF_SIGNED/.test(code))
      return `${(e as Error).message ?? code}; trust the platform's certificate with --ca <file>`;
    if (typeof code === 'string') return code;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) e = errors[0];
    else e = (e as { cause?: unknown }).cause;
  }
  return err instanceof Error ? err.message : String(err);
}
