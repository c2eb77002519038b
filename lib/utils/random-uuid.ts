import { randomFillSync } from 'node:crypto';

/** Random bytes fetched 4 KiB at a time: one call into the system's generator per 256 UUIDs. */
const pool = Buffer.allocUnsafe(4096);
let poolOffset = pool.length;
const text = Buffer.allocUnsafe(36);
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const DASH = 0x2d;
/** The high bits of bytes 6 and 8. */
const VERSION_4 = 0x40;
const VARIANT_RFC_4122 = 0x80;

/**
 * A random (version 4) UUID, as `crypto.randomUUID()` makes, written out as one flat string. `randomUUID()` builds
 * its result from 20 pieces that V8 keeps as a tree, several times the size of the text, for as long as the key
 * lives: every queued event keeps one.
 */
export function randomUuid(): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  let at = 0;
  for (let i = 0; i < 16; i++) {
    let byte = pool[poolOffset + i];
    if (i === 6) byte = (byte & 0x0f) | VERSION_4;
    else if (i === 8) byte = (byte & 0x3f) | VARIANT_RFC_4122;
    if (i === 4 || i === 6 || i === 8 || i === 10) text[at++] = DASH;
    text[at++] = HEX_DIGITS[byte >> 4];
    text[at++] = HEX_DIGITS[byte & 0x0f];
  }
  poolOffset += 16;
  return text.toString('latin1');
}
