/**
 * Photo evidence: a JPEG or PNG, told by its content (magic bytes and a parse of its dimensions),
 * never by its name or a client's Content-Type; anything else is refused with one line.
 */
import crypto from 'node:crypto';
import { UsageError } from '../errors';

export const MAX_PHOTO_BYTES = 8 * 1024 * 1024;

export interface Photo {
  mediaType: 'image/jpeg' | 'image/png';
  width: number;
  height: number;
  size: number;
  sha256: string;
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG: the signature, then the IHDR chunk first with width and height (PNG spec §11.2.2). */
function pngSize(b: Buffer): { width: number; height: number } | null {
  if (b.length < 33 || !b.subarray(0, 8).equals(PNG_MAGIC)) return null;
  if (b.readUInt32BE(8) !== 13 || b.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** JPEG: SOI, then segments until a start-of-frame marker (SOF0..SOF15 but DHT, JPG, DAC) holding the size. */
function jpegSize(b: Buffer): { width: number; height: number } | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end or scan data before any frame header
    const len = b.readUInt16BE(i + 2);
    if (len < 2 || i + 2 + len > b.length) return null;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (len < 7) return null;
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    i += 2 + len;
  }
  return null;
}

/** The photo's type, size and SHA-256, or a UsageError saying why it is refused. */
export function checkPhoto(bytes: Buffer, { maxBytes = MAX_PHOTO_BYTES } = {}): Photo {
  if (bytes.length === 0) throw new UsageError('the photo is empty');
  if (bytes.length > maxBytes)
    throw new UsageError(`the photo is ${bytes.length} bytes; at most ${maxBytes} are accepted`);
  const png = pngSize(bytes);
  const jpeg = png ? null : jpegSize(bytes);
  const dims = png ?? jpeg;
  if (!dims) {
    throw new UsageError(
      bytes.subarray(0, 8).equals(PNG_MAGIC) || (bytes[0] === 0xff && bytes[1] === 0xd8)
        ? 'the photo is a truncated or broken PNG/JPEG: its dimensions could not be read'
        : 'the photo is not a JPEG or PNG (checked by its content)',
    );
  }
  if (dims.width < 1 || dims.height < 1 || dims.width > 65535 || dims.height > 65535)
    throw new UsageError(`the photo says it is ${dims.width}x${dims.height} pixels; that is not a photo`);
  return {
    mediaType: png ? 'image/png' : 'image/jpeg',
    ...dims,
    size: bytes.length,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
  };
}
