import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { PairingBundle, PAIRING_CODE_PREFIX as PREFIX } from '../services/domain/index.ts';

export class PairingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PairingError';
  }
}

/** a pairing code, a bundle as JSON, or a file holding either */
export function decodePairing(input: string): PairingBundle {
  let text = input.trim();
  if (!text.startsWith(PREFIX) && !text.startsWith('{') && existsSync(text)) {
    text = readFileSync(text, 'utf8').trim();
  }
  let raw: unknown;
  try {
    raw = text.startsWith(PREFIX)
      ? JSON.parse(Buffer.from(text.slice(PREFIX.length), 'base64url').toString('utf8'))
      : JSON.parse(text);
  } catch {
    throw new PairingError(
      `not a pairing code (it starts with ${PREFIX}), a bundle (JSON) or a file holding one`,
    );
  }
  const parsed = PairingBundle.safeParse(raw);
  if (!parsed.success) {
    throw new PairingError(
      `the pairing bundle is incomplete or damaged: ${parsed.error.issues.map((i) => i.path.join('.') || i.message).join(', ')}`,
    );
  }
  return parsed.data;
}

/**
 * Writes (or re-keys) the gateway's config file from a bundle, readable by its owner only (0600):
 * it holds the secret. What the file already says about the local broker and the device map stays.
 */
export function writeConfigFromBundle(path: string, bundle: PairingBundle): void {
  let existing: Record<string, unknown> = {};
  if (existsSync(path)) {
    try {
      existing = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch {
      throw new PairingError(`${path} exists but is not JSON; move it away first`);
    }
  }
  const config = {
    ...existing,
    platform: {
      url: bundle.platformUrl,
      homeId: bundle.homeId,
      gatewayId: bundle.gatewayId,
      secret: bundle.secret,
      ...(bundle.ca ? { ca: bundle.ca } : {}),
    },
    devices: existing.devices ?? {},
  };
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
