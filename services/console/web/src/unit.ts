/** Find a unit: any identifier form; its journey as a timeline and the warranty verdict. */
import { ApiError, getJson } from './api';
import { h, replace, short, term, time } from './dom';
import type { ViewFactory } from './views';

interface Step {
  eventId: string;
  eventTimeUtc: string;
  eventTimeLocal: string;
  eventType: string;
  action: string | null;
  bizStep: string | null;
  disposition: string | null;
  location: string | null;
  via: string | null;
  sourceSystem: string | null;
  machineId: string | null;
  operatorId: string | null;
  recallId: string | null;
}
interface Found {
  unit: { uri: string; gtin: string | null; serial: string | null };
  steps: Step[];
  warranty: {
    verdict: string;
    genuine: boolean;
    soldAt: string | null;
    recall: { recallId: string; reason: string } | null;
    claims: { claimRef: string }[];
  };
}

export const unitView: ViewFactory = () => {
  const input = h('input', {
    id: 'unit-id',
    name: 'id',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'unit-help',
  });
  const gtin = h('input', { id: 'unit-gtin', name: 'gtin', inputmode: 'numeric', autocomplete: 'off' });
  const result = h('div', { class: 'unit-result', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'find' },
    h('label', { for: 'unit-id' }, 'Identifier'),
    input,
    h(
      'p',
      { id: 'unit-help', class: 'muted' },
      'A Digital Link, an EPC URN, an element string such as (01)…(21)…, an SSCC, or a serial with its GTIN.',
    ),
    h('label', { for: 'unit-gtin' }, 'GTIN (only with a bare serial)'),
    gtin,
    h('button', { type: 'submit' }, 'Find'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    replace(result, h('p', {}, 'Looking…'));
    const q = gtin.value.trim() ? `?gtin=${encodeURIComponent(gtin.value.trim())}` : '';
    getJson<Found>(`/api/units/${encodeURIComponent(input.value.trim())}${q}`)
      .then((found) => {
        const w = found.warranty;
        replace(
          result,
          h('h2', {}, short(found.unit.uri)),
          h('p', {}, h('a', { href: found.unit.uri, rel: 'noopener noreferrer' }, found.unit.uri)),
          h(
            'p',
            { class: 'verdict', 'data-verdict': w.verdict },
            h('strong', {}, 'Warranty: '),
            w.verdict.replace(/_/g, ' '),
            ` — ${w.genuine ? 'genuine' : 'not commissioned by our own line'}`,
            w.soldAt ? `, sold ${time(w.soldAt)}` : ', not sold',
            w.recall ? `, under recall ${w.recall.recallId} (${w.recall.reason})` : '',
            w.claims.length ? `, ${w.claims.length} claim(s) already` : '',
          ),
          h(
            'ol',
            { class: 'timeline', 'aria-label': 'Journey, oldest first' },
            ...found.steps.map((s) =>
              h(
                'li',
                { 'data-event-id': s.eventId },
                h('time', { datetime: s.eventTimeUtc }, s.eventTimeLocal.replace('T', ' ')),
                h(
                  'div',
                  { class: 'what' },
                  `${term(s.bizStep)} · ${term(s.disposition)} · ${s.eventType}${s.action ? ` ${s.action}` : ''}`,
                ),
                h('div', { class: 'where' }, `at ${short(s.location)}${s.via ? ` in ${short(s.via)}` : ''}`),
                h(
                  'div',
                  { class: 'who muted' },
                  `${s.sourceSystem ?? '?'}${s.machineId ? ` · device ${s.machineId}` : ''}${s.operatorId ? ` · operator ${s.operatorId}` : ''}${s.recallId ? ` · recall ${s.recallId}` : ''} · ${time(s.eventTimeUtc)}`,
                ),
              ),
            ),
          ),
        );
      })
      .catch((err) =>
        replace(
          result,
          h(
            'p',
            { class: 'message error', role: 'alert' },
            err instanceof ApiError ? err.message : (err as Error).message,
          ),
        ),
      );
  });
  return {
    el: h(
      'section',
      { 'aria-labelledby': 'unit-title' },
      h('h1', { id: 'unit-title' }, 'Find a unit'),
      form,
      result,
    ),
    onShow: () => input.focus(),
  };
};
