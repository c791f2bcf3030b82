/**
 * Redis Cluster's key hashing (cluster spec, "Keys distribution model"): a key's slot is
 * CRC16 (XMODEM) of its hash tag, or of the whole key without one, modulo 16384.
 */

const SLOTS = 16384;

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[i] = crc & 0xffff;
  }
  return table;
})();

/**
 * The part of `key` Redis hashes when it has a hash tag: what lies between the first `{`
 * and the first `}` after it, if not empty. Null when the key has no such tag.
 */
export function hashTag(key: string): string | null {
  const open = key.indexOf('{');
  if (open < 0) return null;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return null;
  return key.slice(open + 1, close);
}

/** The cluster slot of `key`, as `CLUSTER KEYSLOT` computes it. */
export function keySlot(key: string): number {
  const bytes = Buffer.from(hashTag(key) ?? key, 'utf8');
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc % SLOTS;
}
