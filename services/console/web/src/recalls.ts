/** Recalls: every recall with its units by status, notices and surge; declare and act (recall_coordinator). */
import { ApiError, download, getJson, postJson } from './api';
import { fmt, h, replace, time } from './dom';
import type { Frame, RecallSummary } from './types';
import type { ViewFactory } from './views';

const statuses = ['in stock', 'in transit', 'delivered to a partner', 'sold', 'quarantined', 'unknown'];

export const recallsView: ViewFactory = (session) => {
  const list = h('div', { class: 'recalls', 'aria-live': 'polite' });
  const message = h('p', { class: 'message', role: 'status' });
  const say = (text: string, error = false) => {
    message.textContent = text;
    message.classList.toggle('error', error);
  };
  const act = async (label: string, fn: () => Promise<string>) => {
    say(`${label}…`);
    try {
      say(await fn());
    } catch (err) {
      say(`${label} failed: ${err instanceof ApiError ? err.message : (err as Error).message}`, true);
    }
  };

  let declareForm: HTMLFormElement | null = null;
  if (session.may.recalls) {
    const field = (name: string, label: string, attrs: Record<string, string | boolean> = {}) =>
      h('label', {}, label, h('input', { name, ...attrs }));
    declareForm = h(
      'form',
      { class: 'declare', 'aria-labelledby': 'declare-title' },
      h('h2', { id: 'declare-title' }, 'Declare a recall'),
      field('gtin', 'GTIN', {
        required: true,
        inputmode: 'numeric',
        pattern: '\\d{8,14}',
        autocomplete: 'off',
      }),
      field('lots', 'Lots (comma-separated)', { autocomplete: 'off' }),
      field('reason', 'Reason', { required: true, autocomplete: 'off' }),
      h('button', { type: 'submit' }, 'Declare recall'),
    );
    declareForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const data = new FormData(declareForm!);
      void act('declaring', async () => {
        const r = await postJson<{ recall: { recallId: string }; units: number }>('/api/recalls', {
          gtin: String(data.get('gtin') ?? ''),
          lots: String(data.get('lots') ?? ''),
          reason: String(data.get('reason') ?? ''),
        });
        declareForm!.reset();
        await reload();
        return `recall ${r.recall.recallId} declared: ${fmt(r.units)} units in the store now`;
      });
    });
  }

  const card = (s: RecallSummary) => {
    const r = s.recall;
    const scope = [
      `GTIN ${r.gtin}`,
      r.lots.length ? `lots ${r.lots.join(', ')}` : '',
      r.serials.length ? `${fmt(r.serials.length)} serials` : '',
      r.deviceId ? `device ${r.deviceId}` : '',
      r.fromTime !== null ? `from ${time(r.fromTime)}` : '',
      r.toTime !== null ? `to ${time(r.toTime)}` : '',
    ]
      .filter(Boolean)
      .join(' · ');
    const active = r.status === 'active';
    const id = r.recallId;
    const buttons =
      session.may.recalls && active
        ? [
            h(
              'button',
              {
                type: 'button',
                onclick: () =>
                  void act('quarantining', async () => {
                    const o = await postJson<{ quarantine: { units: number }; notices: unknown[] }>(
                      `/api/recalls/${encodeURIComponent(id)}/quarantine`,
                      {},
                    );
                    return `${id}: ${fmt(o.quarantine.units)} units quarantined, ${o.notices.length} partners notified`;
                  }),
              },
              'Quarantine',
            ),
            h(
              'button',
              {
                type: 'button',
                onclick: () =>
                  void act('notifying', async () => {
                    const o = await postJson<{ notices: { partner: string; alert: string }[] }>(
                      `/api/recalls/${encodeURIComponent(id)}/notify`,
                      {},
                    );
                    return `${id}: ${o.notices.map((n) => `${n.partner} ${n.alert}`).join(', ') || 'no partner holds units'}`;
                  }),
              },
              'Notify partners',
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'danger',
                onclick: () => {
                  if (!confirm(`Close recall ${id}? Its events go back to the normal flow.`)) return;
                  void act('closing', async () => {
                    await postJson(`/api/recalls/${encodeURIComponent(id)}/close`, {});
                    await reload();
                    return `${id} closed`;
                  });
                },
              },
              'Close',
            ),
          ]
        : [];
    return h(
      'article',
      { class: `recall ${active ? 'active' : 'closed'}`, 'data-recall': id, 'aria-labelledby': `r-${id}` },
      h('h3', { id: `r-${id}` }, `${id} `, h('span', { class: `tag ${active ? 'critical' : ''}` }, r.status)),
      h('p', {}, scope),
      h(
        'p',
        { class: 'muted' },
        `${r.reason} — declared ${time(r.declaredAt)} by ${r.declaredBy ?? '?'}${r.quarantinedAt ? `; quarantined ${time(r.quarantinedAt)}` : ''}`,
      ),
      active
        ? h(
            'dl',
            { class: 'counts' },
            h('div', {}, h('dt', {}, 'units found'), h('dd', { 'data-count': 'units' }, fmt(s.units))),
            h('div', {}, h('dt', {}, 'located'), h('dd', { 'data-count': 'located' }, fmt(s.located))),
            ...statuses.map((st) =>
              h('div', {}, h('dt', {}, st), h('dd', { 'data-count': st }, fmt(s.byStatus[st] ?? 0))),
            ),
            h(
              'div',
              {},
              h('dt', {}, 'at partners, not notified'),
              h('dd', { 'data-count': 'not-notified' }, fmt(s.atPartnersNotNotified)),
            ),
            h(
              'div',
              {},
              h('dt', {}, 'notices sent / failed'),
              h('dd', { 'data-count': 'notices' }, `${fmt(s.notices.sent)} / ${fmt(s.notices.failed)}`),
            ),
            h(
              'div',
              {},
              h('dt', {}, 'surge events'),
              h('dd', { 'data-count': 'surge-events' }, fmt(s.surgeEvents)),
            ),
            h('div', {}, h('dt', {}, 'surge lag'), h('dd', { 'data-count': 'surge-lag' }, fmt(s.surge.lag))),
          )
        : null,
      h(
        'div',
        { class: 'actions' },
        ...buttons,
        h(
          'button',
          {
            type: 'button',
            onclick: () =>
              void act('exporting', async () => {
                await download(`/api/recalls/${encodeURIComponent(id)}/report?format=csv`, `${id}.csv`);
                return `${id}.csv downloaded`;
              }),
          },
          'Export CSV',
        ),
        h(
          'button',
          {
            type: 'button',
            onclick: () =>
              void act('exporting', async () => {
                await download(`/api/recalls/${encodeURIComponent(id)}/report?format=epcis`, `${id}.jsonld`);
                return `${id}.jsonld downloaded`;
              }),
          },
          'Export EPCIS',
        ),
      ),
    );
  };

  let shown = '';
  const render = (recalls: RecallSummary[]) => {
    // Rebuild only when a number changed, so a keyboard user's focus stays where it is.
    const key = JSON.stringify(recalls);
    if (key === shown) return;
    shown = key;
    const focused = document.activeElement?.closest('[data-recall]')?.getAttribute('data-recall');
    replace(list, ...(recalls.length === 0 ? [h('p', {}, 'No recalls.')] : recalls.map(card)));
    if (focused) list.querySelector<HTMLElement>(`[data-recall="${CSS.escape(focused)}"] button`)?.focus();
  };
  const reload = async () => render((await getJson<{ recalls: RecallSummary[] }>('/api/recalls')).recalls);

  const el = h(
    'section',
    { 'aria-labelledby': 'recalls-title' },
    h('h1', { id: 'recalls-title' }, 'Recalls'),
    message,
    declareForm,
    list,
  );
  return {
    el,
    onShow: () => void reload().catch((err) => say((err as Error).message, true)),
    onFrame: (frame: Frame) => render(frame.recalls),
  };
};
