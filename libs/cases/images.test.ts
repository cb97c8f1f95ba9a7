import { checkPhoto } from './images';
import { jpegHead, tinyPng } from './testing';

describe('checkPhoto', () => {
  it('reads a PNG and a JPEG by content, with dimensions and SHA-256', () => {
    expect(checkPhoto(tinyPng(7, 5))).toMatchObject({ mediaType: 'image/png', width: 7, height: 5 });
    const j = checkPhoto(jpegHead(640, 480));
    expect(j).toMatchObject({ mediaType: 'image/jpeg', width: 640, height: 480 });
    expect(j.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
  it('refuses what is not a photo, a broken one, an empty one and one too large', () => {
    expect(() => checkPhoto(Buffer.from('GIF89a......'))).toThrow(
      'the photo is not a JPEG or PNG (checked by its content)',
    );
    expect(() => checkPhoto(Buffer.from('<html>PNG</html>'))).toThrow('not a JPEG or PNG');
    expect(() => checkPhoto(tinyPng().subarray(0, 20))).toThrow('truncated or broken');
    expect(() => checkPhoto(jpegHead().subarray(0, 12))).toThrow('truncated or broken');
    expect(() => checkPhoto(Buffer.alloc(0))).toThrow('the photo is empty');
    expect(() => checkPhoto(tinyPng(), { maxBytes: 10 })).toThrow(/bytes; at most 10 are accepted/);
    expect(() => checkPhoto(tinyPng(0, 3))).toThrow('0x3 pixels');
  });
});
