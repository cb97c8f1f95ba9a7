import { glnOf, lookupFrom, masterdataKey, parseMasterdataFile, type MasterdataRecord } from '.';
import { UsageError } from '../errors';

describe('master data files', () => {
  it('reads CSV with extra columns as attributes, padding GTINs to 14 digits', () => {
    const csv =
      'kind,id,name,country\nproduct,4012345100013,"Widget, large",\nsite,4012345000016,Berlin plant,DE\ndevice,line-1-printer,Printer 1,\n';
    const recs = parseMasterdataFile(csv, 'md.csv', 5);
    expect(recs).toEqual([
      {
        kind: 'product',
        id: '04012345100013',
        name: 'Widget, large',
        attributes: {},
        deleted: false,
        updatedAt: 5,
      },
      {
        kind: 'site',
        id: '4012345000016',
        name: 'Berlin plant',
        attributes: { country: 'DE' },
        deleted: false,
        updatedAt: 5,
      },
      {
        kind: 'device',
        id: 'line-1-printer',
        name: 'Printer 1',
        attributes: {},
        deleted: false,
        updatedAt: 5,
      },
    ]);
  });
  it('reads a JSON array', () => {
    const recs = parseMasterdataFile(
      '[{"kind":"operator","id":"op-1","name":"Ann","attributes":{"shift":2}}]',
      'md.json',
      1,
    );
    expect(recs[0]).toMatchObject({ kind: 'operator', id: 'op-1', attributes: { shift: '2' } });
  });
  it.each([
    ['kind,id,name\nproduct,4012345100019,Bad check digit', /not a valid GTIN/],
    ['kind,id,name\nsite,401234500001,Short GLN', /not a valid GLN/],
    ['kind,id,name\nplanet,x,Mars', /kind 'planet'/],
    ['id,kind,name\n', /header must start with kind,id,name/],
    ['kind,id,name\nproduct,4012345100013', /2 columns/],
    ['[{"kind":', /not valid JSON/],
  ])('refuses %j with a one-line reason', (text, why) => {
    expect(() => parseMasterdataFile(text, 'md', 0)).toThrow(UsageError);
    expect(() => parseMasterdataFile(text, 'md', 0)).toThrow(why);
  });
});

describe('master data lookup', () => {
  const rec = (kind: string, id: string, deleted = false): MasterdataRecord => ({
    kind,
    id,
    name: id,
    attributes: {},
    deleted,
    updatedAt: 0,
  });
  const map = new Map(
    [rec('product', 'a'), rec('product', 'b', true)].map((r) => [masterdataKey(r.kind, r.id), r]),
  );
  const md = lookupFrom((k) => map.get(k));
  it('finds live records and hides deleted ones', () => {
    expect(md.get('product', 'a')?.id).toBe('a');
    expect(md.get('product', 'b')).toBeUndefined();
    expect(md.get('site', 'a')).toBeUndefined();
  });
  it('reads the GLN of an SGLN Digital Link', () => {
    expect(glnOf('https://id.gs1.org/414/4012345000016/254/1')).toBe('4012345000016');
    expect(glnOf('urn:x')).toBeNull();
    expect(glnOf(null)).toBeNull();
  });
});
