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
