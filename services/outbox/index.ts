export type { OutboxRow, OutboxState } from '../store/index.ts';
export {
  type ChannelJob,
  type ChannelOptions,
  type ChannelResult,
  type ChannelSender,
  type Notice,
  NoticeOutbox,
  type OutboxOptions,
  type OutboxRetryPolicy,
} from './outbox.ts';

/** A channel name's notifier and configured name: `webhook:fallback` → webhook, fallback. */
export function channelParts(channel: string): { notifier: string; target: string } {
  const at = channel.indexOf(':');
  return at < 0
    ? { notifier: channel, target: channel }
    : { notifier: channel.slice(0, at), target: channel.slice(at + 1) };
}
