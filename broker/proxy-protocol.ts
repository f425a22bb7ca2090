import { BlockList, isIPv4, isIPv6, type Socket } from 'node:net';

/**
 * The PROXY protocol (HAProxy's, versions 1 and 2): a TCP proxy in front of the broker writes the
 * client's real address before the client's own bytes. Believed only from the proxies named in
 * `MQTT_PROXY_PROTOCOL_FROM`; from them it is required, from anyone else it is never read (their
 * bytes go to MQTT or TLS as they are, where a PROXY header is garbage and ends the connection).
 * Spec: https://www.haproxy.org/download/2.6/doc/proxy-protocol.txt
 */

/** What a header says about the connection. */
export type ProxyHeader =
  /** the client's own address, as the proxy saw it */
  | { kind: 'proxied'; address: string; port: number; family: 'IPv4' | 'IPv6' }
  /** the proxy speaking for itself (a health check: LOCAL, UNKNOWN, UNSPEC): keep the connection's address */
  | { kind: 'local' };

export type ParseResult =
  | { status: 'incomplete' }
  | { status: 'invalid'; why: string }
  | { status: 'done'; header: ProxyHeader; length: number };

const V2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
const V1_PREFIX = Buffer.from('PROXY ', 'ascii');
/** v1: the longest line the spec allows, CRLF included */
const V1_MAX_BYTES = 107;
/** v2: addresses (36 bytes for IPv6, 216 for UNIX) and a few TLVs; anything longer is refused */
export const V2_MAX_PAYLOAD_BYTES = 512;
/** the most a header may take, so a reader knows when to stop buffering */
export const MAX_HEADER_BYTES = 16 + V2_MAX_PAYLOAD_BYTES;

/** `bytes` is a prefix of `of` (or `of` a prefix of `bytes`) */
const startsLike = (bytes: Buffer, of: Buffer) => {
  const n = Math.min(bytes.length, of.length);
  return bytes.subarray(0, n).equals(of.subarray(0, n));
};

/** Reads a PROXY header (v1 or v2) at the start of `bytes`; never throws. */
export function parseProxyHeader(bytes: Buffer): ParseResult {
  if (bytes.length === 0) return { status: 'incomplete' };
  if (startsLike(bytes, V2_SIGNATURE)) return parseV2(bytes);
  if (startsLike(bytes, V1_PREFIX)) return parseV1(bytes);
  return { status: 'invalid', why: 'no PROXY header' };
}

function parseV2(bytes: Buffer): ParseResult {
  if (bytes.length < 16) return { status: 'incomplete' };
  const versionCommand = bytes[12]!;
  const familyTransport = bytes[13]!;
  const length = bytes.readUInt16BE(14);
  if (versionCommand >> 4 !== 2) return { status: 'invalid', why: 'v2: unknown version' };
  const command = versionCommand & 0x0f;
  if (command > 1) return { status: 'invalid', why: 'v2: unknown command' };
  if (length > V2_MAX_PAYLOAD_BYTES) return { status: 'invalid', why: 'v2: header too long' };
  if (bytes.length < 16 + length) return { status: 'incomplete' };
  const done = (header: ProxyHeader): ParseResult => ({ status: 'done', header, length: 16 + length });
  // LOCAL: the proxy's own connection (health checks); the address block is to be ignored
  if (command === 0) return done({ kind: 'local' });
  const family = familyTransport >> 4;
  const transport = familyTransport & 0x0f;
  if (family > 3 || transport > 2) return { status: 'invalid', why: 'v2: unknown family' };
  // UNSPEC or UNIX: nothing we can use as an address; the spec says keep the connection's own
  if (family === 0 || family === 3) return done({ kind: 'local' });
  if (transport !== 1) return { status: 'invalid', why: 'v2: not a stream' };
  const payload = bytes.subarray(16, 16 + length);
  if (family === 1) {
    if (length < 12) return { status: 'invalid', why: 'v2: short IPv4 block' };
    return done({
      kind: 'proxied',
      family: 'IPv4',
      address: Array.from(payload.subarray(0, 4)).join('.'),
      port: payload.readUInt16BE(8),
    });
  }
  if (length < 36) return { status: 'invalid', why: 'v2: short IPv6 block' };
  return done({
    kind: 'proxied',
    family: 'IPv6',
    address: ipv6(payload.subarray(0, 16)),
    port: payload.readUInt16BE(32),
  });
}

/** As Node writes a socket's address: compressed, an IPv4-mapped address dotted (`::ffff:1.2.3.4`). */
function ipv6(raw: Buffer): string {
  if (raw.subarray(0, 10).every((b) => b === 0) && raw[10] === 0xff && raw[11] === 0xff) {
    return `::ffff:${Array.from(raw.subarray(12)).join('.')}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(raw.readUInt16BE(i).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

const PORT = /^(0|[1-9][0-9]{0,4})$/;

function parseV1(bytes: Buffer): ParseResult {
  const end = bytes.subarray(0, V1_MAX_BYTES).indexOf('\r\n');
  if (end < 0) {
    if (bytes.length >= V1_MAX_BYTES) return { status: 'invalid', why: 'v1: line too long' };
    // only printable ASCII may come before the CRLF
    return bytes.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x0d)
      ? { status: 'incomplete' }
      : { status: 'invalid', why: 'v1: not text' };
  }
  const parts = bytes.subarray(0, end).toString('latin1').split(' ');
  const done = (header: ProxyHeader): ParseResult => ({ status: 'done', header, length: end + 2 });
  // UNKNOWN: the proxy could not tell (or its own check); the rest of the line is to be ignored
  if (parts[1] === 'UNKNOWN') return done({ kind: 'local' });
  if (parts.length !== 6) return { status: 'invalid', why: 'v1: wrong number of fields' };
  const [, protocol, source, destination, sourcePort = '', destinationPort = ''] = parts;
  const isFamily = protocol === 'TCP4' ? isIPv4 : protocol === 'TCP6' ? isIPv6 : null;
  if (!isFamily) return { status: 'invalid', why: 'v1: unknown protocol' };
  if (!isFamily(source ?? '') || !isFamily(destination ?? '')) {
    return { status: 'invalid', why: 'v1: bad address' };
  }
  for (const port of [sourcePort, destinationPort]) {
    if (!PORT.test(port) || Number(port) > 65535) return { status: 'invalid', why: 'v1: bad port' };
  }
  return done({
    kind: 'proxied',
    family: protocol === 'TCP4' ? 'IPv4' : 'IPv6',
    address: source!,
    port: Number(sourcePort),
  });
}

/** express's names for address ranges, as `TRUST_PROXY` accepts them */
const NAMED_RANGES: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/**
 * Whether a peer is one of the proxies in the list (addresses, CIDR ranges, loopback/linklocal/
 * uniquelocal; checked by `platform/config.ts`). An IPv4-mapped IPv6 peer counts as its IPv4 address.
 */
export function proxyMatcher(entries: readonly string[]): (address: string | undefined) => boolean {
  const list = new BlockList();
  for (const entry of entries.flatMap((e) => NAMED_RANGES[e] ?? [e])) {
    const [ip = '', bits] = entry.split('/');
    const type = isIPv6(ip) ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(bits), type);
  }
  return (address) => {
    if (!address) return false;
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    if (v4) return list.check(v4, 'ipv4');
    return isIPv6(address) ? list.check(address, 'ipv6') : isIPv4(address) && list.check(address, 'ipv4');
  };
}

export type ProxyHeaderRefusal =
  | 'proxy_header_invalid'
  | 'proxy_header_missing'
  | 'proxy_header_timeout'
  | 'proxy_header_untrusted';

/**
 * Whether a connection's first byte starts a PROXY header (v1's `P`, v2's CR). Neither can start
 * MQTT (a CONNECT is 0x10) nor TLS (a handshake record is 0x16), so from a peer that is not a
 * trusted proxy it is a forged header, refused at once rather than left to MQTT's parser.
 */
export const looksLikeProxyHeader = (first: number) => first === V1_PREFIX[0] || first === V2_SIGNATURE[0];

/**
 * Waits for a connection's first bytes and puts them back (the socket paused), for a look at them
 * before MQTT or TLS reads. Null when the peer closed or sent nothing within `timeoutMs`.
 */
export function peekFirstBytes(socket: Socket, timeoutMs: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const finish = (chunk: Buffer | null) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onEnd);
      socket.off('end', onEnd);
      socket.off('error', onEnd);
      socket.pause();
      if (chunk) socket.unshift(chunk);
      resolve(chunk);
    };
    const onData = (chunk: Buffer) => finish(chunk);
    const onEnd = () => finish(null);
    const timer = setTimeout(onEnd, timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onEnd);
  });
}

export type ReadHeaderResult =
  | { ok: true; header: ProxyHeader }
  | { ok: false; reason: ProxyHeaderRefusal; why: string };

/**
 * Reads the PROXY header off a socket freshly accepted from a trusted proxy. Buffers at most
 * `MAX_HEADER_BYTES`; gives up after `timeoutMs` (a proxy that never finishes its header must not
 * hold a socket). On success the socket is paused with the bytes after the header put back, for
 * MQTT or TLS to read. On failure the caller closes it.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ReadHeaderResult> {
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    const finish = (result: ReadHeaderResult, rest?: Buffer) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
      socket.pause();
      if (rest?.length) socket.unshift(rest);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const parsed = parseProxyHeader(buffered.subarray(0, MAX_HEADER_BYTES));
      if (parsed.status === 'done') {
        finish({ ok: true, header: parsed.header }, buffered.subarray(parsed.length));
      } else if (parsed.status === 'invalid') {
        finish({ ok: false, reason: 'proxy_header_invalid', why: parsed.why });
      } else if (buffered.length >= MAX_HEADER_BYTES) {
        finish({ ok: false, reason: 'proxy_header_invalid', why: 'header too long' });
      }
    };
    const onEnd = () =>
      finish({ ok: false, reason: 'proxy_header_missing', why: 'closed before a complete header' });
    const timer = setTimeout(
      () => finish({ ok: false, reason: 'proxy_header_timeout', why: 'no complete header in time' }),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onEnd);
  });
}

/**
 * Makes a socket report the client's address (from the header) as its own `remoteAddress`, so
 * everything that reads the peer's address (the guard against guessed secrets, logs, connection
 * records) sees the device and not the proxy. A LOCAL header leaves the socket as it is.
 */
export function presentAs(socket: Socket, header: ProxyHeader): void {
  if (header.kind !== 'proxied') return;
  Object.defineProperties(socket, {
    remoteAddress: { value: header.address, configurable: true },
    remotePort: { value: header.port, configurable: true },
    remoteFamily: { value: header.family, configurable: true },
  });
}
