/**
 * The resend filter's index from a device id to its slot, in place of a `Map<string, number>`
 * (~37 bytes an entry at 200,000 devices): an open-addressing table (linear probing) of slot
 * numbers in one `Uint32Array`, 5–6 bytes a device, and per slot a reference to the device's id.
 *
 * The id kept is the string the caller passed, by reference: the platform passes the registry's
 * own `device.id`, so the index holds no copy of it (8 bytes a slot for the reference). A slot is
 * found by comparing the whole id, never the hash alone, so one device's readings can never land
 * in another's slot. Ids are hashed with a seed drawn per process, so nobody can choose ids that
 * pile up in one place of the table (devices cannot choose their ids anyway: staff provision them).
 *
 * Slots are handed out densely (a freed one first), so the windows kept per slot elsewhere grow a
 * page of `SLOT_PAGE` slots at a time and are never copied.
 */
export const SLOT_PAGE_BITS = 10;
/** slots per page: the unit the per-slot arrays grow by */
export const SLOT_PAGE = 1 << SLOT_PAGE_BITS;
/** the table grows (by a quarter) when more than this share of it is taken */
const MAX_LOAD = 0.8;
/** bytes of a reference to a string in a JS array (64-bit, no pointer compression: Node's default) */
const REFERENCE_BYTES = 8;
/** a table entry: 8 bits of the id's hash above 24 bits of slot + 1 (0 = empty) */
const SLOT_BITS = 24;
const SLOT_FIELD = (1 << SLOT_BITS) - 1;
/** the most devices held at once: 16,777,215 (the platform's estimate is about a million) */
const MAX_DEVICE_SLOTS = SLOT_FIELD;

export class DeviceSlots {
  /**
   * at the place an id hashes to (or after it): its slot + 1, and 8 more bits of its hash so that
   * most entries that are not the id are passed over without reading their id; 0 = empty
   */
  private table = new Uint32Array(Math.ceil(SLOT_PAGE / MAX_LOAD));
  /** per slot, in pages: the id it belongs to, undefined when free */
  private readonly owners: Array<Array<string | undefined>> = [];
  private readonly free: number[] = [];
  private used = 0;
  private count = 0;
  private readonly seed = (Math.random() * 4294967296) >>> 0;

  /** devices held */
  get size(): number {
    return this.count;
  }

  /** slots handed out so far, free ones among them: every slot in use is below this */
  get highWater(): number {
    return this.used;
  }

  /** slots there is room for (whole pages) */
  get capacity(): number {
    return this.owners.length * SLOT_PAGE;
  }

  /** the table, the id references and the free list; the ids themselves are the caller's */
  get bytes(): number {
    return this.table.byteLength + REFERENCE_BYTES * (this.capacity + this.free.length);
  }

  /** the device's slot, or -1 */
  find(deviceId: string): number {
    const table = this.table;
    const h = this.hash(deviceId);
    const tag = h >>> SLOT_BITS;
    let i = h % table.length;
    for (;;) {
      const entry = table[i]!;
      if (entry === 0) return -1;
      const slot = (entry & SLOT_FIELD) - 1;
      if (entry >>> SLOT_BITS === tag && this.owner(slot) === deviceId) return slot;
      i = i + 1 === table.length ? 0 : i + 1;
    }
  }

  /** who holds a slot */
  owner(slot: number): string | undefined {
    return this.owners[slot >>> SLOT_PAGE_BITS]?.[slot & (SLOT_PAGE - 1)];
  }

  /** a slot for a device not held yet (`find` gave -1) */
  add(deviceId: string): number {
    if (this.count + 1 > this.table.length * MAX_LOAD) this.rehash(Math.ceil(this.table.length * 1.25));
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.used === MAX_DEVICE_SLOTS)
        throw new RangeError(`more than ${MAX_DEVICE_SLOTS} devices at once`);
      slot = this.used++;
      if (slot >>> SLOT_PAGE_BITS === this.owners.length)
        this.owners.push(new Array<string | undefined>(SLOT_PAGE).fill(undefined));
    }
    this.owners[slot >>> SLOT_PAGE_BITS]![slot & (SLOT_PAGE - 1)] = deviceId;
    this.place(deviceId, slot);
    this.count++;
    return slot;
  }

  /** frees a slot for the next device; its id is no longer found */
  remove(slot: number): void {
    const deviceId = this.owner(slot);
    if (deviceId === undefined) return;
    const table = this.table;
    const n = table.length;
    let hole = this.hash(deviceId) % n;
    while ((table[hole]! & SLOT_FIELD) !== slot + 1) hole = hole + 1 === n ? 0 : hole + 1;
    table[hole] = 0;
    // backward shift: an entry after the hole that would no longer be reached from where it
    // hashes to moves into the hole (linear probing stays tombstone-free)
    for (let i = hole + 1 === n ? 0 : hole + 1; table[i] !== 0; i = i + 1 === n ? 0 : i + 1) {
      const home = this.hash(this.owner((table[i]! & SLOT_FIELD) - 1)!) % n;
      const reachable = hole <= i ? hole < home && home <= i : hole < home || home <= i;
      if (reachable) continue;
      table[hole] = table[i]!;
      table[i] = 0;
      hole = i;
    }
    this.owners[slot >>> SLOT_PAGE_BITS]![slot & (SLOT_PAGE - 1)] = undefined;
    this.free.push(slot);
    this.count--;
  }

  private place(deviceId: string, slot: number): void {
    const table = this.table;
    const h = this.hash(deviceId);
    let i = h % table.length;
    while (table[i] !== 0) i = i + 1 === table.length ? 0 : i + 1;
    table[i] = ((h >>> SLOT_BITS) << SLOT_BITS) | (slot + 1);
  }

  private rehash(size: number): void {
    this.table = new Uint32Array(size);
    for (let slot = 0; slot < this.used; slot++) {
      const deviceId = this.owner(slot);
      if (deviceId !== undefined) this.place(deviceId, slot);
    }
  }

  /** FNV-1a over the UTF-16 units, seeded, then murmur3's finaliser to spread the bits */
  private hash(deviceId: string): number {
    let h = this.seed ^ 0x811c9dc5;
    for (let i = 0; i < deviceId.length; i++) h = Math.imul(h ^ deviceId.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }
}
