export { type LeaseStore, ShardLeases, type ShardLeasesOptions } from './leases.ts';
export type { HomeOwnership, OwnershipListener, ShardsGained, ShardsLost } from './ownership.ts';
export { SHARDS, shardOf } from './shard.ts';
