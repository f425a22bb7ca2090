import { type ChildProcess, fork } from 'node:child_process';

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * The bench's handle on one of its helper child processes (the device fleet, the alarm rig): sends
 * a command over IPC and resolves with the child's answer to it. The child answers `{ id, result }`
 * or `{ id, error }`, and says `{ id: 0 }` once it is ready.
 */
export class BenchChild<Command extends { id: number; cmd: string }> {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private constructor(
    private readonly child: ChildProcess,
    name: string,
  ) {
    child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.error) w.reject(new Error(`${name}: ${m.error}`));
      else w.resolve(m.result);
    });
  }

  /** forks `file` (a .ts module beside this one, with `execArgv` for node) and resolves once it says it is ready */
  static start<Command extends { id: number; cmd: string }>(
    file: URL,
    name: string,
    execArgv: string[] = [],
  ): Promise<BenchChild<Command>> {
    const child = fork(file, {
      execArgv: ['--import', 'tsx', ...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const handle = new BenchChild<Command>(child, name);
    return new Promise((resolve, reject) => {
      handle.waiting.set(0, { resolve: () => resolve(handle), reject });
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    });
  }

  send<T>(command: WithoutId<Command>): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...command, id });
    });
  }

  /** asks the child to exit (`{ cmd: 'exit' }`) and waits until it has */
  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    await this.send({ cmd: 'exit' } as WithoutId<Command>).catch(() => undefined);
    await exited;
  }
}

type Handlers<Command extends { id: number; cmd: string }> = {
  [K in Exclude<Command['cmd'], 'exit'>]: (command: Extract<Command, { cmd: K }>) => unknown;
};

/**
 * The child's side: answers each command from the parent with its handler's result (awaited) or
 * error, and `exit` by closing what it holds (`close`) and ending the process. Says it is ready.
 */
export function serveCommands<Command extends { id: number; cmd: string }>(
  handlers: Handlers<Command>,
  close: () => Promise<void>,
): void {
  process.on('message', (message: Command) => {
    const reply = (result: unknown) => process.send?.({ id: message.id, result });
    const fail = (err: unknown) => process.send?.({ id: message.id, error: String(err) });
    if (message.cmd === 'exit') {
      close().finally(() => {
        reply(null);
        process.exit(0);
      });
      return;
    }
    const handle = handlers[message.cmd as keyof Handlers<Command>] as (c: Command) => unknown;
    Promise.resolve()
      .then(() => handle(message))
      .then((result) => reply(result ?? null), fail);
  });
  process.send?.({ id: 0, result: 'ready' });
}
