/** How many shards homes are spread over: fixed, since a home's shard must not move between versions. */
export const SHARDS = 64;

/**
 * A home's shard: FNV-1a (32 bit) of its id, modulo the shard count. Stable across processes,
 * machines and versions, and spreads ids like `home-1`, `home-2`, … evenly.
 */
export function shardOf(homeId: string, shards = SHARDS): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < homeId.length; i++) {
    h ^= homeId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}
