/** Now: risk indicators first, then pipeline health with a few minutes of history. */
import { smallChart } from './chart';
import { fmt, h, replace, short, term, time } from './dom';
import type { Frame, Sample } from './types';
import type { ViewFactory } from './views';

const groups = [
  'ut.validator',
  'ut.deduplicator',
  'ut.enricher',
  'ut.router',
  'ut.journey-sink',
  'ut.journey-sink-surge',
  'ut.dlq-sink',
];
const stage = (g: string) => g.replace(/^ut\./, '');

export const nowView: ViewFactory = () => {
  const stat = (key: string, label: string) => {
    const value = h('span', { class: 'value', 'data-stat': key }, '–');
    return { value, el: h('div', { class: 'kpi' }, h('span', { class: 'label' }, label), value) };
  };
  const kpis = {
    events: stat('events', 'events in the ledger'),
    units: stat('units', 'units'),
    containers: stat('containers', 'containers'),
    dlq: stat('dlq', 'DLQ records'),
    duplicates: stat('duplicates', 'duplicates dropped'),
    p50: stat('latency-p50', 'end to end p50 (30 s)'),
    p99: stat('latency-p99', 'end to end p99 (30 s)'),
  };
  const rows = new Map<string, { rate: HTMLElement; lag: HTMLElement }>();
  const tbody = h('tbody');
  // The pipeline's groups first; any other stage's group (cases, device-health) as the feed names it.
  const row = (g: string) => {
    const rate = h('td', { class: 'num', 'data-rate': g }, '–');
    const lag = h('td', { class: 'num', 'data-lag': g }, '–');
    rows.set(g, { rate, lag });
    tbody.append(h('tr', {}, h('th', { scope: 'row' }, stage(g)), rate, lag));
  };
  for (const g of groups) row(g);
  const dlqList = h('ul', { class: 'plain', 'aria-label': 'DLQ in the last 10 minutes' });
  const recent = h('ol', { class: 'ticker', 'aria-label': 'Events just landed', tabindex: '0' });
  const charts = {
    rates: smallChart('events/s by stage', groups.slice(0, 5).map(stage)),
    lag: smallChart('consumer lag', groups.map(stage)),
    dlq: smallChart('DLQ and duplicates /s', ['DLQ', 'duplicates']),
    latency: smallChart('end to end latency', ['p50', 'p99'], { unit: ' ms' }),
  };
  const el = h(
    'section',
    { 'aria-labelledby': 'now-title' },
    h('h1', { id: 'now-title' }, 'Now'),
    h('div', { class: 'kpis' }, ...Object.values(kpis).map((k) => k.el)),
    h('div', { class: 'charts' }, ...Object.values(charts).map((c) => c.el)),
    h(
      'div',
      { class: 'cols' },
      h(
        'div',
        {},
        h('h2', {}, 'Stages'),
        h(
          'table',
          { class: 'grid' },
          h('caption', { class: 'sr-only' }, 'Records per second and lag of each consumer group'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'stage'),
              h('th', { scope: 'col' }, 'events/s'),
              h('th', { scope: 'col' }, 'lag'),
            ),
          ),
          tbody,
        ),
      ),
      h('div', {}, h('h2', {}, 'DLQ, last 10 minutes'), dlqList, h('h2', {}, 'Just landed'), recent),
    ),
  );
  return {
    el,
    onFrame(frame: Frame, history: Sample[]) {
      const s = frame.stats;
      kpis.events.value.textContent = fmt(s.events);
      kpis.units.value.textContent = fmt(s.units);
      kpis.containers.value.textContent = fmt(s.containers);
      kpis.dlq.value.textContent = fmt(s.dlq);
      kpis.duplicates.value.textContent = fmt(s.duplicates);
      kpis.p50.value.textContent =
        frame.sample.latencyP50Ms === null ? '–' : `${fmt(frame.sample.latencyP50Ms)} ms`;
      kpis.p99.value.textContent =
        frame.sample.latencyP99Ms === null ? '–' : `${fmt(frame.sample.latencyP99Ms)} ms`;
      for (const g of Object.keys(s.lag)) if (!rows.has(g)) row(g);
      for (const [g, r] of rows) {
        r.rate.textContent = fmt(frame.sample.rates[g] ?? 0, 1);
        r.lag.textContent = fmt(s.lag[g] ?? 0);
      }
      replace(
        dlqList,
        ...(frame.dlqRecent.length === 0
          ? [h('li', {}, 'nothing in the DLQ in the last 10 minutes')]
          : frame.dlqRecent.map((d) =>
              h('li', {}, h('strong', {}, d.reason), ` from ${d.source ?? '?'}: ${fmt(d.n)}`),
            )),
      );
      replace(
        recent,
        ...frame.recent.map((e) =>
          h(
            'li',
            { 'data-event-id': e.eventId, 'data-epc': e.epc ?? '' },
            h('time', { datetime: e.landedAt }, time(e.landedAt).slice(11, 19)),
            ` ${e.sourceSystem} ${term(e.bizStep)} ${short(e.epc)}`,
            e.recallId ? h('span', { class: 'tag' }, e.recallId) : null,
            e.latencyMs !== null ? h('span', { class: 'muted' }, ` ${fmt(e.latencyMs)} ms`) : null,
          ),
        ),
      );
      const xs = history.map((p) => p.t);
      charts.rates.update(
        xs,
        groups.slice(0, 5).map((g) => history.map((p) => p.rates[g] ?? 0)),
      );
      charts.lag.update(
        xs,
        groups.map((g) => history.map((p) => p.lag[g] ?? 0)),
      );
      charts.dlq.update(xs, [history.map((p) => p.dlqPerSec), history.map((p) => p.duplicatesPerSec)]);
      charts.latency.update(xs, [history.map((p) => p.latencyP50Ms), history.map((p) => p.latencyP99Ms)]);
    },
  };
};
