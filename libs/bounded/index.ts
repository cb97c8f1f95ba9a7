/**
 * A Map used as a bounded memory, oldest out first: its insertion order is the age order, and
 * `setNewest` makes a key the newest entry and lets the oldest go past the bound.
 *
 * Why not `map.delete(map.keys().next().value)` per eviction: V8 leaves a deleted entry as a hole
 * until the table is rebuilt, and a fresh iterator walks every hole from the start, so at 200,000
 * entries each eviction cost about 46 µs (the router's scope memory once full). One iterator kept per
 * map walks each hole once: every live entry lies ahead of it (it has passed only entries it
 * deleted; a set key is appended at the end), so its next entry is always the oldest.
 */
const oldestFirst = new WeakMap<Map<unknown, unknown>, Iterator<unknown>>();

/** Sets `key` as the newest entry of `map`; while the map holds more than `max`, the oldest go. */
export function setNewest<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size <= max) return;
  let keys = oldestFirst.get(map) as Iterator<K> | undefined;
  while (map.size > max) {
    let next = keys?.next();
    if (!keys || next!.done) {
      // First eviction of this map (or an iterator that ended: a map cleared to nothing and refilled).
      keys = map.keys();
      oldestFirst.set(map, keys);
      next = keys.next();
    }
    map.delete(next!.value as K);
  }
}
