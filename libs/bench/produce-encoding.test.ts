import { benchProduceEncoding } from './produce-encoding';

it('times kafkajs encoding whole Produce requests, one case per batch and value size', async () => {
  const { cases, load_average } = await benchProduceEncoding({
    records: [1, 20],
    valueBytes: [100],
    minRecords: 200,
  });
  expect(load_average).toHaveLength(3);
  expect(cases.map((c) => [c.records, c.value_bytes])).toEqual([
    [1, 100],
    [20, 100],
  ]);
  for (const c of cases) {
    // The framed request holds every record's value, key and header, and then some.
    expect(c.request_bytes).toBeGreaterThan(c.records * (100 + 60 + 12));
    expect(c.encode_us_per_record).toBeGreaterThan(0);
    expect(c.one_pass_us_per_record).toBeGreaterThan(0);
    expect(c.crc32c_us_per_record).toBeGreaterThanOrEqual(0);
  }
  // Twenty records make a bigger request than one.
  expect(cases[1]!.request_bytes).toBeGreaterThan(cases[0]!.request_bytes * 10);
});
