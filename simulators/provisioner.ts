import { z } from 'zod';
import type { ConsentRegistry } from '../services/consent/index.ts';
import {
  type ConsentCategory,
  informationText,
  PairingBundle,
  type Purpose,
  type SensorKind,
} from '../services/domain/index.ts';
import type { People } from '../services/people/index.ts';
import type { Registry } from '../services/registry/index.ts';
import { PlatformUnreachable } from './unreachable.ts';

export interface ProvisionedDevice {
  id: string;
  secret: string;
}

/** How a simulator gets a home, devices with secrets, and consent: in process, or over REST. */
export interface Provisioner {
  ensureTeam(id: string, name: string): Promise<void>;
  ensureHome(home: {
    id: string;
    label: string;
    teamId: string;
    test?: boolean;
    settings?: Record<string, unknown>;
  }): Promise<void>;
  /** creates the device, or gives an existing one a new secret (a secret is never shown twice) */
  provisionDevice(d: {
    id: string;
    homeId: string;
    kinds: SensorKind[];
    role?: 'sensor' | 'gateway';
    test?: boolean;
  }): Promise<ProvisionedDevice>;
  grantConsent(homeId: string, categories: ConsentCategory[], purposes: Purpose[]): Promise<void>;
  /** pairs (or re-keys) the home's gateway through the technician's pairing route */
  pairGateway?(homeId: string): Promise<PairingBundle>;
}

/** In the platform's own process (demo mode). Consent is recorded as given by the system, openly. */
export function localProvisioner(o: {
  people: People;
  registry: Registry;
  consent: ConsentRegistry;
}): Provisioner {
  return {
    async ensureTeam(id, name) {
      await o.people.ensureTeam({ id, name });
    },
    async ensureHome(home) {
      if (o.registry.home(home.id)) {
        if (home.settings) await o.registry.updateHome(home.id, { settings: home.settings });
        return;
      }
      await o.registry.createHome(home);
    },
    async provisionDevice(d) {
      if (o.registry.device(d.id)) return { id: d.id, secret: await o.registry.rotateSecret(d.id) };
      const { secret } = await o.registry.provisionDevice(d);
      return { id: d.id, secret };
    },
    async grantConsent(homeId, categories, purposes) {
      for (const category of categories) {
        for (const purpose of purposes) {
          if (o.consent.allows(homeId, category, purpose)) continue;
          await o.consent.change(
            homeId,
            {
              category,
              purpose,
              action: 'grant',
              channel: 'system',
              textVersion: informationText(category, purpose).version,
            },
            { id: 'demo', role: 'system' },
          );
        }
      }
    },
  };
}

/**
 * Against a running platform, logged in as an administrator: creating a team and recording consent
 * are an administrator's (a technician is refused both).
 */
/** What the simulator needs from the platform's answers; anything else is a clear error, not a cast. */
const LoginAnswer = z.object({ csrfToken: z.string().min(1) });
const SecretAnswer = z.object({ secret: z.string().min(1) });
const PairingAnswer = z.object({ bundle: PairingBundle });

export function restProvisioner(o: { apiUrl: string; username: string; password: string }): Provisioner {
  /** the answer's body checked against what the simulator needs, or an error naming the URL and the route */
  const expect = <T>(schema: z.ZodType<T>, body: unknown, what: string): T => {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    const issues = parsed.error.issues.map((i) => i.path.join('.') || i.message).join(', ');
    throw new Error(
      `${o.apiUrl} answered ${what} without what a Tryghed platform sends (${issues}); check --api`,
    );
  };
  let session: { cookie: string; csrf: string } | null = null;
  // fetch says only "fetch failed" when nothing answers: name the URL and the setting instead
  const reach = async (url: string, init: RequestInit): Promise<Response> => {
    try {
      return await fetch(url, init);
    } catch (err) {
      throw new PlatformUnreachable('api', o.apiUrl, err);
    }
  };
  const login = async () => {
    const res = await reach(`${o.apiUrl}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: o.username, password: o.password }),
    });
    if (!res.ok)
      throw new Error(
        `logging in to ${o.apiUrl} as ${o.username} failed (HTTP ${res.status}); check --user/--password`,
      );
    const body = expect(LoginAnswer, await res.json().catch(() => null), 'POST /api/session');
    session = { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '', csrf: body.csrfToken };
    return session;
  };
  const post = async (
    path: string,
    body: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const s = session ?? (await login());
    const res = await reach(`${o.apiUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.csrf },
      body: JSON.stringify(body),
    });
    const answer: unknown = await res.json().catch(() => ({}));
    const json: Record<string, unknown> =
      typeof answer === 'object' && answer !== null && !Array.isArray(answer)
        ? (answer as Record<string, unknown>)
        : {};
    if (res.status === 403)
      throw new Error(
        `${o.username} may not POST ${path} (HTTP 403): the simulator creates a team, a home, devices and the citizen's consent, which needs an administrator (--user)`,
      );
    if (res.status >= 400 && res.status !== 409) {
      const message = typeof json.message === 'string' ? json.message : '';
      throw new Error(`POST ${path} failed: HTTP ${res.status} ${message}`);
    }
    return { status: res.status, body: json };
  };
  return {
    async ensureTeam(id, name) {
      await post('/api/teams', { id, name });
    },
    async ensureHome(home) {
      await post('/api/homes', home);
    },
    async provisionDevice(d) {
      const created = await post(`/api/homes/${d.homeId}/devices`, {
        id: d.id,
        kinds: d.kinds,
        role: d.role,
        test: d.test,
      });
      const devices = `POST /api/homes/${d.homeId}/devices`;
      if (created.status === 201)
        return { id: d.id, secret: expect(SecretAnswer, created.body, devices).secret };
      const path = `/api/homes/${d.homeId}/devices/${d.id}/secret`;
      const rotated = await post(path, {});
      return { id: d.id, secret: expect(SecretAnswer, rotated.body, `POST ${path}`).secret };
    },
    async grantConsent(homeId, categories, purposes) {
      for (const category of categories) {
        for (const purpose of purposes) {
          await post(`/api/homes/${homeId}/consent`, {
            category,
            purpose,
            action: 'grant',
            channel: 'paper',
            basis: 'paper_form',
            reference: 'simulator',
            textVersion: informationText(category, purpose).version,
          });
        }
      }
    },
    async pairGateway(homeId) {
      const paired = await post(`/api/homes/${homeId}/gateway-pairing`, {});
      if (paired.status !== 200)
        throw new Error(`pairing a gateway for ${homeId} failed: HTTP ${paired.status}`);
      return expect(PairingAnswer, paired.body, `POST /api/homes/${homeId}/gateway-pairing`).bundle;
    },
  };
}
