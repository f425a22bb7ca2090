import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { agentFor, postChunks } from '../services/timeseries/post-chunks.ts';

/** a real HTTP server on port 0; `answer` sees each request with its whole body and its connection's count */
async function server(
  answer: (req: IncomingMessage, res: ServerResponse, body: Buffer, nthOnSocket: number) => void,
): Promise<{ url: URL; server: Server; requests: Buffer[] }> {
  const served = new WeakMap<Socket, number>();
  const requests: Buffer[] = [];
  const s = createServer((req, res) => {
    const n = (served.get(req.socket) ?? 0) + 1;
    served.set(req.socket, n);
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      requests.push(Buffer.concat(parts));
      answer(req, res, Buffer.concat(parts), n);
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}/write`), server: s, requests };
}

const chunks = [Buffer.from('a,x=1 v=1 1\n'), Buffer.from('a,x=2 v=2 2\n'), Buffer.from('a,x=3 v=3 3\n')];
const opened: Array<() => void> = [];
afterEach(() => {
  for (const close of opened.splice(0)) close();
});
/** closed after the test: the server with its kept-alive connections, and the agent's */
const closeAfter = (s: Server, agent: { destroy(): void }) =>
  opened.push(() => {
    agent.destroy();
    s.closeAllConnections();
    s.close();
  });

describe('postChunks: a body in chunks over a kept-alive connection', () => {
  it('sends every chunk, in order, with the length of all of them', async () => {
    let length = '';
    const {
      url,
      server: s,
      requests,
    } = await server((req, res) => {
      length = req.headers['content-length'] ?? '';
      res.writeHead(204).end();
    });
    const agent = agentFor(url);
    closeAfter(s, agent);
    const answer = await postChunks(url, chunks, { agent, headers: {}, timeoutMs: 5000 });
    expect(answer).toEqual({ status: 204, text: '' });
    expect(requests.map((b) => b.toString())).toEqual([Buffer.concat(chunks).toString()]);
    expect(Number(length)).toBe(Buffer.concat(chunks).length);
  });

  it('says what the server answered when it refuses', async () => {
    const { url, server: s } = await server((_req, res) =>
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad point"}'),
    );
    const agent = agentFor(url);
    closeAfter(s, agent);
    const answer = await postChunks(url, chunks, { agent, headers: {}, timeoutMs: 5000 });
    expect(answer).toEqual({ status: 400, text: '{"error":"bad point"}' });
  });

  it('sends once more, on a new connection, when the kept-alive one was closed meanwhile', async () => {
    // each connection answers its first request and is cut at its second, as a server or proxy
    // that closed an idle connection would look to the client
    const {
      url,
      server: s,
      requests,
    } = await server((req, res, _body, n) => {
      if (n > 1) req.socket.destroy();
      else res.writeHead(204).end();
    });
    const agent = agentFor(url);
    closeAfter(s, agent);
    const o = { agent, headers: {}, timeoutMs: 5000 };
    expect((await postChunks(url, chunks, o)).status).toBe(204);
    expect((await postChunks(url, chunks, o)).status).toBe(204);
    // the second went out twice: on the old connection (cut) and on a new one (answered)
    expect(requests.length).toBe(3);
  });

  it('does not send again when a new connection fails: the caller retries with backoff', async () => {
    const { url, server: s, requests } = await server((req) => req.socket.destroy());
    const agent = agentFor(url);
    closeAfter(s, agent);
    await expect(postChunks(url, chunks, { agent, headers: {}, timeoutMs: 5000 })).rejects.toThrow(
      /socket hang up|ECONNRESET/,
    );
    expect(requests.length).toBe(1);
  });

  it("waits for an answer slower than the agent's idle time, and closes the idle connection after it", async () => {
    const { url, server: s } = await server((_req, res) => {
      setTimeout(() => res.writeHead(204).end(), 600);
    });
    const agent = agentFor(url, 200);
    closeAfter(s, agent);
    const answer = await postChunks(url, chunks, { agent, headers: {}, timeoutMs: 5000 });
    expect(answer.status).toBe(204);
    // kept in the pool once answered, then closed when idle for 200 ms
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Object.values(agent.freeSockets).flat().length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(Object.values(agent.freeSockets).flat().length).toBe(0);
  });

  it('gives up after its time when the server never answers', async () => {
    const { url, server: s } = await server(() => {});
    const agent = agentFor(url);
    closeAfter(s, agent);
    const started = Date.now();
    await expect(postChunks(url, chunks, { agent, headers: {}, timeoutMs: 200 })).rejects.toThrow(
      /^no answer within 200 ms$/,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
