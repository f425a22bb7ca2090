import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Aedes } from 'aedes';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type DeviceListeners, openListeners } from '../broker/listeners.ts';
import { MAX_HEADER_BYTES, parseProxyHeader, proxyMatcher } from '../broker/proxy-protocol.ts';
import { type Logger, Metrics, silentLogger } from '../services/runtime/index.ts';
import { eventually, tempDir } from './harness/index.ts';
import { makeClientCa } from './harness/tls.ts';

const SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

/** A v2 header as HAProxy's send-proxy-v2 writes it. */
function v2(
  o:
    | { command: 'local' }
    | { command: 'proxy'; family: 'IPv4'; source: string; sourcePort: number }
    | { command: 'proxy'; family: 'IPv6'; source: number[]; sourcePort: number },
): Buffer {
  if (o.command === 'local') return Buffer.concat([SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
  if (o.family === 'IPv4') {
    const block = Buffer.alloc(12);
    Buffer.from(o.source.split('.').map(Number)).copy(block, 0);
    Buffer.from([127, 0, 0, 2]).copy(block, 4);
    block.writeUInt16BE(o.sourcePort, 8);
    block.writeUInt16BE(1883, 10);
    return Buffer.concat([SIGNATURE, Buffer.from([0x21, 0x11, 0x00, 12]), block]);
  }
  const block = Buffer.alloc(36);
  for (const [i, group] of o.source.entries()) block.writeUInt16BE(group, i * 2);
  block[31] = 1;
  block.writeUInt16BE(o.sourcePort, 32);
  block.writeUInt16BE(1883, 34);
  return Buffer.concat([SIGNATURE, Buffer.from([0x21, 0x21, 0x00, 36]), block]);
}

describe('PROXY protocol header parser', () => {
  it('reads v1 TCP4, TCP6 and UNKNOWN, and v2 TCP4, TCP6 and LOCAL', () => {
    const rest = Buffer.from([0x10, 0x00]);
    expect(
      parseProxyHeader(Buffer.concat([Buffer.from('PROXY TCP4 203.0.113.7 127.0.0.2 51000 1883\r\n'), rest])),
    ).toEqual({
      status: 'done',
      header: { kind: 'proxied', family: 'IPv4', address: '203.0.113.7', port: 51000 },
      length: 45,
    });
    expect(parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::7 ::1 4 1883\r\n'))).toMatchObject({
      status: 'done',
      header: { kind: 'proxied', family: 'IPv6', address: '2001:db8::7', port: 4 },
    });
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).toEqual({
      status: 'done',
      header: { kind: 'local' },
      length: 15,
    });
    expect(
      parseProxyHeader(v2({ command: 'proxy', family: 'IPv4', source: '198.51.100.9', sourcePort: 40000 })),
    ).toEqual({
      status: 'done',
      header: { kind: 'proxied', family: 'IPv4', address: '198.51.100.9', port: 40000 },
      length: 28,
    });
    expect(
      parseProxyHeader(
        v2({ command: 'proxy', family: 'IPv6', source: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x42], sourcePort: 7 }),
      ),
    ).toMatchObject({ status: 'done', header: { address: '2001:db8::42', port: 7 }, length: 52 });
    expect(
      parseProxyHeader(
        v2({
          command: 'proxy',
          family: 'IPv6',
          source: [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201],
          sourcePort: 7,
        }),
      ),
    ).toMatchObject({ status: 'done', header: { address: '::ffff:192.0.2.1' } });
    expect(parseProxyHeader(v2({ command: 'local' }))).toEqual({
      status: 'done',
      header: { kind: 'local' },
      length: 16,
    });
  });

  it('refuses what is not a header, or a broken one, as soon as it can tell', () => {
    const invalid = [
      Buffer.from([0x10, 0x0c, 0x00, 0x04]), // an MQTT CONNECT
      Buffer.from([0x16, 0x03, 0x01]), // a TLS ClientHello
      Buffer.from('PROXY TCP4 203.0.113.7 127.0.0.2 51000\r\n'),
      Buffer.from('PROXY TCP4 2001:db8::1 127.0.0.2 1 2\r\n'),
      Buffer.from('PROXY TCP4 203.0.113.7 127.0.0.2 65536 1883\r\n'),
      Buffer.from('PROXY TCP4 203.0.113.7 127.0.0.2 0123 1883\r\n'),
      Buffer.from('PROXY UDP4 203.0.113.7 127.0.0.2 1 1883\r\n'),
      Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`),
      Buffer.from('PROXY TCP4 \x00'),
      Buffer.concat([SIGNATURE, Buffer.from([0x11, 0x11, 0, 12])]), // version 1 in a v2 header
      Buffer.concat([SIGNATURE, Buffer.from([0x22, 0x11, 0, 12])]), // command 2
      Buffer.concat([SIGNATURE, Buffer.from([0x21, 0x11, 0x02, 0x01])]), // 513 bytes: too long
      Buffer.concat([SIGNATURE, Buffer.from([0x21, 0x11, 0, 4]), Buffer.alloc(4)]), // short IPv4 block
      Buffer.concat([SIGNATURE, Buffer.from([0x21, 0x12, 0, 12]), Buffer.alloc(12)]), // UDP
      Buffer.concat([SIGNATURE, Buffer.from([0x21, 0x41, 0, 0])]), // family 4
    ];
    for (const bytes of invalid)
      expect(parseProxyHeader(bytes).status, bytes.toString('hex')).toBe('invalid');
    expect(parseProxyHeader(Buffer.from('PROX')).status).toBe('incomplete');
    expect(parseProxyHeader(SIGNATURE.subarray(0, 7)).status).toBe('incomplete');
    expect(parseProxyHeader(v2({ command: 'local' }).subarray(0, 15)).status).toBe('incomplete');
  });

  it('never throws on any bytes, and reads a header only when they start with one', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (raw) => {
        const bytes = Buffer.from(raw);
        const result = parseProxyHeader(bytes);
        if (result.status === 'done') {
          expect(
            bytes.subarray(0, 12).equals(SIGNATURE) || bytes.subarray(0, 6).toString('latin1') === 'PROXY ',
          ).toBe(true);
          expect(result.length).toBeLessThanOrEqual(Math.min(bytes.length, MAX_HEADER_BYTES));
        }
      }),
      { numRuns: 2000 },
    );
    // arbitrary bytes after a valid prefix: still no throw, and any address read is a valid one
    fc.assert(
      fc.property(
        fc.constantFrom(SIGNATURE, Buffer.from('PROXY ')),
        fc.uint8Array({ maxLength: 600 }),
        (prefix, tail) => {
          const result = parseProxyHeader(Buffer.concat([prefix, Buffer.from(tail)]));
          if (result.status === 'done' && result.header.kind === 'proxied') {
            expect(result.header.address).toMatch(/^[0-9a-f:.]+$/);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a trusted-proxy list matches addresses, ranges, names and IPv4-mapped peers', () => {
    const trusted = proxyMatcher(['172.30.0.10', '10.1.0.0/16', 'fd00::/8']);
    expect(trusted('172.30.0.10')).toBe(true);
    expect(trusted('::ffff:172.30.0.10')).toBe(true);
    expect(trusted('172.30.0.11')).toBe(false);
    expect(trusted('10.1.200.3')).toBe(true);
    expect(trusted('fd12::1')).toBe(true);
    expect(trusted('fe80::1')).toBe(false);
    expect(trusted(undefined)).toBe(false);
    expect(proxyMatcher(['loopback'])('127.0.0.5')).toBe(true);
    expect(proxyMatcher([])('127.0.0.1')).toBe(false);
  });
});

/** A CONNECT packet (MQTT 3.1.1) for `id`. */
const connectPacket = (id: string) =>
  mqttPacket.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    clientId: id,
    keepalive: 30,
    username: id,
    password: Buffer.from('secret'),
  });

/** Resolves with what the server sent before closing, or after its first bytes (CONNACK). */
function firstAnswer(socket: Socket): Promise<{ bytes: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    socket.once('data', (bytes: Buffer) => resolve({ bytes, closed: false }));
    socket.once('close', () => resolve({ bytes: Buffer.alloc(0), closed: true }));
    socket.on('error', () => {});
  });
}

describe('MQTT listeners behind a PROXY-protocol proxy (real sockets)', () => {
  let doors: DeviceListeners | undefined;
  let aedes: Aedes | undefined;
  const sockets: Socket[] = [];
  const dir = tempDir('tryghed-proxy-');
  afterAll(() => dir.remove());
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await doors?.close();
    await new Promise<void>((resolve) => (aedes ? aedes.close(() => resolve()) : resolve()));
  });

  /** listeners trusting 127.0.0.1 as a proxy; every CONNECT's peer address is recorded */
  async function open(o: { tls?: boolean; headerTimeoutMs?: number } = {}) {
    aedes = await Aedes.createBroker();
    const seen: string[] = [];
    aedes.authenticate = (client, _u, _p, done) => {
      seen.push((client.conn as unknown as Socket).remoteAddress ?? 'none');
      done(null, true);
    };
    const metrics = new Metrics();
    const lines: Array<Record<string, unknown>> = [];
    const log = silentLogger();
    const logger = Object.assign(Object.create(log) as Logger, {
      warn: (obj: Record<string, unknown>, msg: string) => lines.push({ ...obj, msg }),
    });
    let tls = null;
    if (o.tls) {
      const ca = await makeClientCa(dir.path, 'server');
      tls = {
        port: 0,
        cert: readFileSync(ca.cert, 'utf8'),
        key: readFileSync(ca.cert.replace(/\.pem$/, '.key'), 'utf8'),
        clientCertificates: 'off' as const,
      };
    }
    doors = await openListeners(
      aedes,
      {
        host: '127.0.0.1',
        plainPort: o.tls ? null : 0,
        tls,
        webSocketPort: null,
        maxPayloadBytes: 1024,
        metrics,
        proxyProtocolFrom: ['127.0.0.1'],
        ...(o.headerTimeoutMs ? { proxyHeaderTimeoutMs: o.headerTimeoutMs } : {}),
      },
      logger,
    );
    const url = new URL((o.tls ? doors.endpoints.tls : doors.endpoints.plain)!);
    const refusals = (reason: string) => metrics.value('tryghed_broker_refusals_total', { reason });
    return { seen, lines, refusals, port: Number(url.port) };
  }

  const dial = (port: number, localAddress = '127.0.0.1') => {
    const socket = netConnect({ host: '127.0.0.1', port, localAddress });
    sockets.push(socket);
    return socket;
  };

  it('from the trusted proxy, v1 and v2 (TCP4, TCP6, LOCAL) headers name the client; split across packets too', async () => {
    const { seen, port } = await open();
    const cases: Array<{ header: Buffer[]; expected: string }> = [
      { header: [Buffer.from('PROXY TCP4 203.0.113.7 127.0.0.1 51000 1883\r\n')], expected: '203.0.113.7' },
      {
        header: [v2({ command: 'proxy', family: 'IPv4', source: '198.51.100.9', sourcePort: 1 })],
        expected: '198.51.100.9',
      },
      {
        header: [
          v2({ command: 'proxy', family: 'IPv6', source: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 9], sourcePort: 2 }),
        ],
        expected: '2001:db8::9',
      },
      // LOCAL (HAProxy's own check): the proxy's address stays
      { header: [v2({ command: 'local' })], expected: '127.0.0.1' },
      // a header cut into pieces, the CONNECT in the same write as its end
      {
        header: (() => {
          const h = v2({ command: 'proxy', family: 'IPv4', source: '192.0.2.44', sourcePort: 3 });
          return [h.subarray(0, 5), h.subarray(5, 14), h.subarray(14)];
        })(),
        expected: '192.0.2.44',
      },
    ];
    for (const [i, c] of cases.entries()) {
      const socket = dial(port);
      await new Promise((resolve) => socket.once('connect', resolve));
      const answer = firstAnswer(socket);
      for (const piece of c.header.slice(0, -1)) {
        socket.write(piece);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      socket.write(Buffer.concat([c.header.at(-1)!, connectPacket(`dev-${i}`)]));
      const { bytes } = await answer;
      expect(bytes[0], `case ${i}: CONNACK`).toBe(0x20);
      expect(bytes[3], `case ${i}: accepted`).toBe(0);
      expect(seen.at(-1), `case ${i}`).toBe(c.expected);
    }
  });

  it('from the trusted proxy, a connection without a header or with a broken one is closed, counted and logged without addresses', async () => {
    const { seen, lines, refusals, port } = await open();
    const noHeader = dial(port);
    const a = firstAnswer(noHeader);
    noHeader.write(connectPacket('no-header'));
    expect(await a).toEqual({ bytes: Buffer.alloc(0), closed: true });
    const broken = dial(port);
    const b = firstAnswer(broken);
    broken.write(
      Buffer.concat([Buffer.from('PROXY TCP4 999.0.0.1 127.0.0.1 1 1883\r\n'), connectPacket('x')]),
    );
    expect((await b).closed).toBe(true);
    expect(seen).toEqual([]);
    expect(await refusals('proxy_header_invalid')).toBe(2);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatchObject({ reason: 'proxy_header_invalid', listener: 'plain' });
      expect(JSON.stringify(line)).not.toMatch(/127\.0\.0\.1|999\.0\.0\.1/);
    }
  });

  it('from any other address a PROXY header is never believed: the connection is closed', async () => {
    const { seen, port, refusals } = await open();
    for (const header of [
      Buffer.from('PROXY TCP4 203.0.113.7 127.0.0.1 51000 1883\r\n'),
      v2({ command: 'proxy', family: 'IPv4', source: '203.0.113.7', sourcePort: 1 }),
    ]) {
      const socket = dial(port, '127.0.0.9');
      const answer = firstAnswer(socket);
      socket.write(Buffer.concat([header, connectPacket('spoofer')]));
      expect((await answer).closed).toBe(true);
    }
    expect(await refusals('proxy_header_untrusted')).toBe(2);
    // and without a header it is a plain MQTT client with its own address
    const direct = dial(port, '127.0.0.9');
    const answer = firstAnswer(direct);
    direct.write(connectPacket('direct'));
    expect((await answer).bytes[0]).toBe(0x20);
    expect(seen).toEqual(['127.0.0.9']);
  });

  it('fuzz: arbitrary bytes from the trusted proxy or another peer never crash the listener nor yield an address', async () => {
    const { seen, port } = await open();
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 600 }),
        fc.boolean(),
        async (raw, trusted) => {
          const socket = dial(port, trusted ? '127.0.0.1' : '127.0.0.9');
          const closed = new Promise((resolve) => socket.once('close', resolve));
          socket.on('error', () => {});
          socket.on('data', () => {});
          socket.end(Buffer.from(raw));
          await closed;
        },
      ),
      { numRuns: 60 },
    );
    // whatever got through to CONNECT came from an untrusted peer with its own address
    expect(seen.every((address) => address === '127.0.0.9')).toBe(true);
    // and the listener still serves
    const socket = dial(port);
    const answer = firstAnswer(socket);
    socket.write(
      Buffer.concat([Buffer.from('PROXY TCP4 203.0.113.8 127.0.0.1 1 1883\r\n'), connectPacket('after')]),
    );
    expect((await answer).bytes[0]).toBe(0x20);
    expect(seen.at(-1)).toBe('203.0.113.8');
  });

  it('property: a valid header with any address from a peer that is not the proxy never names the client', async () => {
    const { seen, port } = await open();
    await fc.assert(
      fc.asyncProperty(fc.ipV4(), fc.boolean(), async (address, textual) => {
        const header = textual
          ? Buffer.from(`PROXY TCP4 ${address} 127.0.0.1 1000 1883\r\n`)
          : v2({ command: 'proxy', family: 'IPv4', source: address, sourcePort: 1000 });
        const socket = dial(port, '127.0.0.9');
        const answer = firstAnswer(socket);
        socket.write(Buffer.concat([header, connectPacket('forger')]));
        expect((await answer).closed).toBe(true);
      }),
      { numRuns: 30 },
    );
    expect(seen).toEqual([]);
  });

  it('slowloris: a header that never completes is closed after the header timeout', async () => {
    const { refusals, port } = await open({ headerTimeoutMs: 200 });
    const socket = dial(port);
    const answer = firstAnswer(socket);
    const started = Date.now();
    socket.write(SIGNATURE.subarray(0, 8));
    expect((await answer).closed).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(await refusals('proxy_header_timeout')).toBe(1);
  });

  it('TLS: the header is read before the handshake; the TLS connection reports the client address', async () => {
    const { seen, port, refusals } = await open({ tls: true });
    const raw = dial(port);
    await new Promise((resolve) => raw.once('connect', resolve));
    raw.write(v2({ command: 'proxy', family: 'IPv4', source: '203.0.113.77', sourcePort: 5 }));
    const secure = tlsConnect({ socket: raw, rejectUnauthorized: false });
    secure.on('error', () => {});
    const answer = firstAnswer(secure as unknown as Socket);
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    secure.write(connectPacket('tls-dev'));
    expect((await answer).bytes[0]).toBe(0x20);
    expect(seen).toEqual(['203.0.113.77']);
    secure.destroy();

    // a TLS client straight from the trusted proxy's address without a header: refused
    const bare = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    sockets.push(bare);
    bare.on('error', () => {});
    await new Promise((resolve) => bare.once('close', resolve));
    await eventually(async () => (await refusals('proxy_header_invalid')) === 1, { what: 'refusal counted' });
    expect(seen).toHaveLength(1);
  });
});
