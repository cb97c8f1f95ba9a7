import { statementKind } from './sink';

describe("bench sink's statement kinds", () => {
  it("names each statement of the sink's write by what it writes", () => {
    expect(statementKind('COPY ut.events (event_id, event_time) FROM STDIN')).toBe('copy ut.events');
    expect(statementKind('COPY ut_stage_units (uri) FROM STDIN')).toBe('copy ut_stage_units');
    expect(
      statementKind(
        'COPY ut.events (event_id) FROM STDIN (FORMAT binary);\nINSERT INTO ut.unit_state AS s (uri);\nCOMMIT',
      ),
    ).toBe('rows + unit state + commit');
    expect(statementKind('SELECT 1 FROM ut.unit_state;\nINSERT INTO ut.unit_state AS s (uri);\nCOMMIT')).toBe(
      'unit state + commit',
    );
    expect(statementKind("BEGIN;SELECT pg_advisory_xact_lock(1, 2);SELECT nextval('x')")).toBe(
      'begin + locks',
    );
    expect(statementKind('INSERT INTO ut.ledger_batches (batch_id) VALUES ($1)')).toBe('chain and other');
  });
});
