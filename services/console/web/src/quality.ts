/** Data quality: DLQ records by reason and source over time, a record's detail, and its replay. */
import { ApiError, getJson, postJson } from './api';
import { smallChart } from './chart';
import { fmt, h, replace, time } from './dom';
import type { Frame } from './types';
import type { ViewFactory } from './views';

interface DlqAnswer {
  counts: { reason: string; source: string | null; n: number }[];
  perMinute: { minute: string; reason: string; source: string | null; n: number }[];
  records: {
    dlq_id: string;
    stage: string;
    reasons: { code: string; message: string }[];
    source_system: string | null;
    device_id: string | null;
    failed_at: string;
    replayed: number;
  }[];
}

export const qualityView: ViewFactory = (session) => {
  const counts = h('tbody');
  const records = h('tbody');
  const detail = h('div', { class: 'detail', 'aria-live': 'polite' });
  const chartHolder = h('div', { class: 'charts' });
  let chart: ReturnType<typeof smallChart> | null = null;
  let chartKey = '';
  let lastDlq = -1;
  let visible = false;

  const show = async (id: string) => {
    try {
      const d = await getJson<
        Record<string, unknown> & {
          dlqId: string;
          reasons: { code: string; message: string }[];
          replays: unknown[];
        }
      >(`/api/dlq/${encodeURIComponent(id)}`);
      const message = h('p', { role: 'status' });
      replace(
        detail,
        h('h2', {}, `Record ${d.dlqId}`),
        h('ul', {}, ...d.reasons.map((r) => h('li', {}, h('strong', {}, r.code), `: ${r.message}`))),
        session.may.replay && d.replays.length === 0
          ? h(
              'button',
              {
                type: 'button',
                onclick: () => {
                  postJson<{ replayed: number }>(`/api/dlq/${encodeURIComponent(id)}/replay`, {})
                    .then(() => {
                      message.textContent = `${id} sent back to its source topic`;
                      void load();
                    })
                    .catch((err) => (message.textContent = `replay failed: ${(err as Error).message}`));
                },
              },
              'Replay to its source topic',
            )
          : null,
        message,
        h('pre', { tabindex: '0', 'aria-label': 'The record in full' }, JSON.stringify(d, null, 2)),
      );
    } catch (err) {
      replace(
        detail,
        h(
          'p',
          { class: 'message error', role: 'alert' },
          err instanceof ApiError ? err.message : String(err),
        ),
      );
    }
  };

  const load = async () => {
    const a = await getJson<DlqAnswer>('/api/dlq?since=60m');
    replace(
      counts,
      ...(a.counts.length === 0
        ? [h('tr', {}, h('td', { colspan: '3' }, 'No DLQ records in the last hour.'))]
        : a.counts.map((c) =>
            h(
              'tr',
              {},
              h('td', {}, c.reason),
              h('td', {}, c.source ?? '–'),
              h('td', { class: 'num' }, fmt(c.n)),
            ),
          )),
    );
    replace(
      records,
      ...a.records.map((r) =>
        h(
          'tr',
          {},
          h(
            'td',
            {},
            h('button', { type: 'button', class: 'link', onclick: () => void show(r.dlq_id) }, r.dlq_id),
          ),
          h('td', {}, time(r.failed_at)),
          h('td', {}, r.source_system ?? '–'),
          h('td', {}, r.reasons.map((x) => x.code).join(', ')),
          h('td', {}, r.replayed ? `replayed ×${r.replayed}` : ''),
        ),
      ),
    );
    const reasons = [...new Set(a.perMinute.map((p) => `${p.reason} ${p.source ?? ''}`.trim()))].slice(0, 6);
    const minutes = [...new Set(a.perMinute.map((p) => p.minute))].sort();
    const key = reasons.join('|');
    if (!chart || key !== chartKey) {
      chart = smallChart('DLQ records per minute, by reason and source', reasons.length ? reasons : ['none']);
      chartKey = key;
      replace(chartHolder, chart.el);
    }
    chart.update(
      minutes.map((m) => Date.parse(m)),
      (reasons.length ? reasons : ['none']).map((r) =>
        minutes.map((m) =>
          a.perMinute
            .filter((p) => p.minute === m && `${p.reason} ${p.source ?? ''}`.trim() === r)
            .reduce((s, p) => s + p.n, 0),
        ),
      ),
    );
  };

  const el = h(
    'section',
    { 'aria-labelledby': 'quality-title' },
    h('h1', { id: 'quality-title' }, 'Data quality'),
    chartHolder,
    h(
      'div',
      { class: 'cols' },
      h(
        'div',
        {},
        h('h2', {}, 'By reason and source, last hour'),
        h(
          'table',
          { class: 'grid' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'reason'),
              h('th', { scope: 'col' }, 'source'),
              h('th', { scope: 'col' }, 'records'),
            ),
          ),
          counts,
        ),
      ),
      h(
        'div',
        {},
        h('h2', {}, 'Newest records'),
        h(
          'div',
          { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': 'Newest DLQ records' },
          h(
            'table',
            { class: 'grid' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['record', 'failed', 'source', 'reasons', 'replays'].map((t) =>
                  h('th', { scope: 'col' }, t),
                ),
              ),
            ),
            records,
          ),
        ),
      ),
    ),
    detail,
  );
  return {
    el,
    onShow: () => {
      visible = true;
      void load();
    },
    // The feed says when the DLQ grew; only then is the table read again (no polling).
    onFrame: (frame: Frame) => {
      if (frame.stats.dlq !== lastDlq) {
        lastDlq = frame.stats.dlq;
        if (visible && el.isConnected) void load();
      }
    },
  };
};
