import fs from 'node:fs';
import path from 'node:path';
import { eventHash, parseDocument, toSerializationEvent, type JsonObject } from '../epcis';
import { answerEvent, fromCanonical, queryDocument } from './answer';
import { decodePageToken, encodePageToken, queryDigest } from './page';
import { QueryNotImplementedError, QueryParameterError, paramsFromUrl, parseEventQuery } from './params';
import { compileSchedule, scheduleMatches } from './schedule';
import { countSql, eventsSql, headsAhead, valuesSql } from './sql';
import { queryDocumentXml } from './xml';

const conformance = path.join(__dirname, '../../test/fixtures/conformance');
const documents = ['epcis-examples', 'epcis-hash'].flatMap((dir) =>
  fs
    .readdirSync(path.join(conformance, dir))
    .filter((f) => /\.(jsonld|xml)$/.test(f))
    .map((f) => path.join(conformance, dir, f)),
);

const fromUrl = (qs: string) => parseEventQuery(paramsFromUrl(new URLSearchParams(qs)));

describe('parseEventQuery', () => {
  it('normalises EPCs, locations and CBV values to the store’s forms', () => {
    const q = fromUrl(
      'MATCH_anyEPC=urn:epc:id:sgtin:0614141.107346.2017|https://id.gs1.org/01/00614141073467/21/2018' +
        '&EQ_bizStep=urn:epcglobal:cbv:bizstep:shipping|cbv:BizStep-receiving|https://ref.gs1.org/cbv/BizStep-packing' +
        '&EQ_disposition=in_transit&EQ_bizLocation=urn:epc:id:sgln:0614141.07346.1234&eventType=ObjectEvent|AggregationEvent',
    );
    expect(q.epcMatches).toEqual([
      {
        roles: ['epc', 'child', 'parent', 'input', 'output'],
        uris: [
          'https://id.gs1.org/01/10614141073464/21/2017',
          'https://id.gs1.org/01/00614141073467/21/2018',
        ],
        gtins: [],
      },
    ]);
    expect(q.bizSteps).toEqual(['shipping', 'receiving', 'packing']);
    expect(q.dispositions).toEqual(['in_transit']);
    expect(q.bizLocations).toEqual(['https://id.gs1.org/414/0614141073467/254/1234']);
    expect(q.eventTypes).toEqual(['ObjectEvent', 'AggregationEvent']);
    expect(q.orderDirection).toBe('DESC');
  });

  it('reads a class pattern as its GTIN and typed lists by their type', () => {
    const q = parseEventQuery({
      MATCH_epc: ['urn:epc:idpat:sgtin:0614141.107346.*'],
      EQ_source_owning_party: 'urn:epc:id:pgln:0614141.00001',
      EQ_bizTransaction_urn_x: 'x',
      'EQ_bizTransaction_urn:epcglobal:cbv:btt:po': ['http://transaction.acme.com/po/12345678'],
      GE_quantity: 5,
    });
    expect(q.epcMatches[0]!.gtins).toEqual(['10614141073464']);
    expect(q.sources[0]!.type).toBe('owning_party');
    expect(q.bizTransactions.map((b) => b.type)).toEqual(['urn_x', 'po']);
    expect(q.quantities).toEqual([{ op: '>=', value: 5 }]);
  });

  it.each([
    ['EQ_bizStp=shipping', /unknown query parameter EQ_bizStp/],
    ['GE_eventTime=2024-01-01', /not a date-time with a time zone/],
    ['LT_recordTime=2024-13-01T00:00:00Z', /not a valid date/],
    ['EQ_action=MOVE', /EQ_action "MOVE"/],
    ['eventType=Event', /not one of ObjectEvent/],
    ['orderBy=bizStep', /orders by eventTime or recordTime only/],
    ['orderDirection=UP', /orderDirection UP/],
    ['eventCountLimit=0&orderBy=eventTime', /whole number ≥ 1/],
    ['eventCountLimit=2', /eventCountLimit needs orderBy/],
    ['maxEventCount=2&eventCountLimit=2&orderBy=eventTime', /mutually exclusive/],
    ['EQ_quantity=many', /not a number/],
    ['EXISTS_errorDeclaration=maybe', /not true or false/],
    ['MATCH_anyEPC=', /empty value/],
    ['MATCH_epc=urn:epc:id:sgtin:0614141.107346.2017|', /empty value/],
    ['MATCH_epc=https://id.gs1.org/01/00614141073468/21/1', /MATCH_epc/],
  ])('refuses %s with a reason (400)', (qs, reason) => {
    expect(() => fromUrl(qs)).toThrow(QueryParameterError);
    expect(() => fromUrl(qs)).toThrow(reason);
  });

  it.each([
    'EQ_value_Temperature=3',
    'EQ_transformationID=x',
    'GE_startTime=2024-01-01T00:00:00Z',
    'EXISTS_ilmd=true',
  ])('says %s is not supported (501) instead of ignoring it', (qs) => {
    expect(() => fromUrl(qs)).toThrow(QueryNotImplementedError);
  });

  it('ignores the binding’s paging parameters', () => {
    expect(() => fromUrl('perPage=5&nextPageToken=x&GS1-EPC-Format=Always_EPC_URN')).not.toThrow();
  });
});

describe('eventsSql', () => {
  const q = fromUrl(
    'MATCH_anyEPC=urn:epc:id:sgtin:0614141.107346.2017&EQ_bizStep=shipping&GE_eventTime=2024-01-01T00:00:00Z&orderBy=eventTime&orderDirection=ASC',
  );

  it('binds every value and restricts to the owners’ captures', () => {
    const sql = eventsSql(q, { visibility: { all: false, owners: ['acme'] }, limit: 31 });
    expect(sql.text).toContain(
      '(e.event_id, e.event_time) IN (SELECT i.event_id, i.event_time FROM ut.event_identifiers i',
    );
    expect(sql.text).toMatch(/e\.biz_step = \$\d+/);
    expect(
      eventsSql({ ...q, bizSteps: ['shipping', 'receiving'] }, { visibility: { all: true }, limit: 1 }).text,
    ).toContain('e.biz_step = ANY(');
    expect(sql.text).toContain('c.producer = ANY(');
    expect(sql.text).toMatch(/ORDER BY e\.event_time ASC, e\.event_id ASC\s+LIMIT \$\d+$/);
    expect(sql.text).not.toContain('shipping');
    expect(sql.values).toContain('shipping');
    expect(sql.values).toContainEqual(['acme']);
    expect(sql.values[sql.values.length - 1]).toBe(31);
  });

  it('pages by keyset in the query’s direction', () => {
    const asc = eventsSql(q, {
      visibility: { all: true },
      limit: 2,
      after: { key: '2024-01-01T00:00:00.000000Z', id: 'x' },
    });
    expect(asc.text).toMatch(/\(e\.event_time, e\.event_id\) > \(\$\d+::timestamptz, \$\d+\)/);
    const desc = eventsSql(
      { ...q, orderDirection: 'DESC', orderBy: 'recordTime' },
      {
        visibility: { all: true },
        limit: 2,
        after: { key: 'k', id: 'x' },
      },
    );
    expect(desc.text).toMatch(/\(e\.inserted_at, e\.event_id\) < /);
    expect(asc.text).not.toContain('c.producer = ANY');
  });

  it('limits a subscription to the ledger batches in its range', () => {
    const sql = eventsSql(q, {
      visibility: { all: true },
      limit: 10,
      chain: { after: { 'ut.journey.v1/0': 4 }, upTo: { 'ut.journey.v1/0': 9, 'ut.journey.v1/1': 2 } },
    });
    expect(sql.text).toContain('b.chain_seq > coalesce(');
    expect(sql.values).toEqual(
      expect.arrayContaining(['{"ut.journey.v1/0":9,"ut.journey.v1/1":2}', '{"ut.journey.v1/0":4}']),
    );
  });

  it('tells a position from one with a batch it has not seen, chain by chain', () => {
    expect(headsAhead({ a: 3 }, { a: 3 })).toBe(false);
    expect(headsAhead({ a: 3 }, { a: 4 })).toBe(true);
    expect(headsAhead({ a: 3, b: 9 }, { a: 3, b: 2 })).toBe(false);
    expect(headsAhead({ a: 3 }, { a: 3, b: 1 })).toBe(true);
    expect(headsAhead({}, {})).toBe(false);
  });

  it('counts no further than asked and lists values after a cursor', () => {
    expect(countSql(q, { all: true }, 11).text).toMatch(/LIMIT \$\d+\) x$/);
    const v = valuesSql('epcs', { all: false, owners: ['a'] }, 'https://id.gs1.org/01/1', 5);
    expect(v.text).toContain('i.uri > $');
    expect(v.values).toEqual([['a'], 'https://id.gs1.org/01/1', 5]);
  });
});

describe('page tokens', () => {
  const params = { MATCH_anyEPC: 'urn:epc:id:sgtin:0614141.107346.2017', perPage: '2' };
  const token = encodePageToken({
    query: queryDigest(params),
    afterKey: '2024-01-01T00:00:00.000000Z',
    afterId: 'ni:///x',
    served: 2,
    expires: 2000,
  });

  it('round-trips with the same query, whatever the page size or order of parameters', () => {
    expect(decodePageToken(token, { perPage: '50', MATCH_anyEPC: params.MATCH_anyEPC }, 1000)).toMatchObject({
      afterId: 'ni:///x',
      served: 2,
    });
  });

  it('refuses another query’s token, an expired one and garbage', () => {
    expect(() => decodePageToken(token, { EQ_action: 'ADD' }, 1000)).toThrow(/belongs to another query/);
    expect(() => decodePageToken(token, params, 3000)).toThrow(/expired/);
    expect(() => decodePageToken('bm90IGpzb24', params, 1000)).toThrow(/not a token/);
  });
});

describe('schedules', () => {
  it('fires at the given times only (UTC, second 0 by default)', () => {
    const s = compileSchedule({ hour: '1', minute: '5,[30-31]', dayOfWeek: '1' });
    expect(scheduleMatches(s, new Date('2024-01-01T01:05:00Z'))).toBe(true); // a Monday
    expect(scheduleMatches(s, new Date('2024-01-01T01:31:00Z'))).toBe(true);
    expect(scheduleMatches(s, new Date('2024-01-01T01:05:01Z'))).toBe(false);
    expect(scheduleMatches(s, new Date('2024-01-02T01:05:00Z'))).toBe(false);
  });

  it('refuses what is not a schedule', () => {
    expect(() => compileSchedule({ hour: '24' })).toThrow(/from 0 to 23/);
    expect(() => compileSchedule({ minute: 'every' })).toThrow(/numbers or \[lo-hi\]/);
    expect(() => compileSchedule({ week: '1' })).toThrow(/schedule\.week/);
  });
});

describe('answers', () => {
  const lineage = { topic: 't', partition: 0, offset: 0, schemaId: 0 };
  const all = documents.flatMap((file) =>
    parseDocument(fs.readFileSync(file, 'utf8')).events.map((event, i) => ({ file, i, event })),
  );

  const answered = all.map(({ file, i, event }) =>
    answerEvent({
      event_id: eventHash(event),
      captured: JSON.parse(JSON.stringify(event)) as JsonObject,
      record: null,
      record_time: new Date('2026-01-01T00:00:00Z'),
      order_key: '',
      file,
      i,
    } as never),
  );

  it('keeps every GS1 example event’s hash through the JSON-LD answer', () => {
    const doc = JSON.stringify(queryDocument(answered));
    expect(parseDocument(doc).events.map(eventHash)).toEqual(all.map((a) => eventHash(a.event)));
  });

  it('keeps every GS1 example event’s hash through the XML answer', () => {
    const xml = queryDocumentXml(queryDocument(answered, { subscriptionID: 's-1', queryName: 'q' }));
    expect(xml).toContain('<queryName>q</queryName><subscriptionID>s-1</subscriptionID>');
    expect(parseDocument(xml).events.map(eventHash)).toEqual(all.map((a) => eventHash(a.event)));
  });

  it('adds recordTime, and eventID only when the partner gave none', () => {
    const withId = answered.find((_e, k) => all[k]!.event.eventID !== undefined)!;
    const k = answered.indexOf(withId);
    expect(withId.eventID).toBe(all[k]!.event.eventID);
    const without = answered.findIndex((_e, n) => all[n]!.event.eventID === undefined);
    expect(answered[without]!.eventID).toBe(eventHash(all[without]!.event));
    expect(answered.every((e) => e.recordTime === '2026-01-01T00:00:00.000Z')).toBe(true);
  });

  it('rebuilds our own systems’ events from the canonical record with the same hash', () => {
    for (const { event } of all) {
      const canonical = toSerializationEvent(event, { lineage });
      const rebuilt = answerEvent({
        event_id: canonical.eventId,
        captured: null,
        record: canonical,
        record_time: new Date(),
      });
      const doc = JSON.stringify(queryDocument([rebuilt]));
      expect(parseDocument(doc).events.map(eventHash)).toEqual([canonical.eventId]);
    }
    expect(fromCanonical(toSerializationEvent(all[0]!.event, { lineage })).type).toBe(all[0]!.event.type);
  });
});
