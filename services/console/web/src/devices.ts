/**
 * Devices & exceptions: device alerts (the device-health stage's episodes) with their
 * acknowledgements, the exception queue (libs/cases) and one case opened from it. The queue comes
 * with every feed frame; an open case is read again when its history grows.
 */
import { ApiError, postJson } from './api';
import { casePanel } from './cases';
import { fmt, h, replace, short, time } from './dom';
import type { DeviceAlert, DeviceHealth, CaseSummary, DeviceSignals, Frame } from './types';
import type { ViewFactory } from './views';

const table = (label: string, heads: string[], body: HTMLElement) =>
  h(
    'div',
    { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': label },
    h(
      'table',
      { class: 'grid' },
      h('thead', {}, h('tr', {}, ...heads.map((t) => h('th', { scope: 'col' }, t)))),
      body,
    ),
  );

const words = (s: string) =>
  s
    .toLowerCase()
    .replace(/^device_/, '')
    .replace(/_/g, ' ');

export const devicesView: ViewFactory = (session) => {
  const panel = casePanel(session);
  const message = h('p', { class: 'message', role: 'status' });
  /** Notes being typed, by alert: a frame that redraws the table keeps them. */
  const notes = new Map<string, string>();
  const alerts = h('tbody');
  const health = h('tbody');
  const queue = h('tbody');
  let shownHealth = '';
  let shownAlerts = '';
  let shownQueue = '';

  const say = (text: string, error = false) => {
    message.textContent = text;
    message.classList.toggle('error', error);
    message.setAttribute('role', error ? 'alert' : 'status');
  };

  async function acknowledge(a: DeviceAlert): Promise<void> {
    const note = (notes.get(a.alertId) ?? '').trim();
    if (note === '') return say(`Acknowledging ${a.device} needs a note: what was done`, true);
    say(`Acknowledging ${a.device}…`);
    try {
      await postJson(`/api/devices/${encodeURIComponent(a.alertId)}/ack`, { note });
      notes.delete(a.alertId);
      say(`${a.device}'s alert acknowledged`);
    } catch (err) {
      say(`Acknowledging ${a.device} refused: ${err instanceof ApiError ? err.message : String(err)}`, true);
    }
  }

  // Only a role that may acknowledge gets the form; the API refuses the others anyway.
  const ackForm = (a: DeviceAlert) => {
    const id = `ack-${a.alertId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const what = `${a.device} ${words(a.kind)}`;
    return h(
      'form',
      {
        class: 'ack',
        'aria-label': `Acknowledge ${what}`,
        onsubmit: (e) => {
          e.preventDefault();
          void acknowledge(a);
        },
      },
      h('label', { for: id, class: 'sr-only' }, `Note on ${what}`),
      h('input', {
        id,
        type: 'text',
        placeholder: 'what was done',
        value: notes.get(a.alertId) ?? '',
        oninput: (e) => notes.set(a.alertId, (e.target as HTMLInputElement).value),
      }),
      h('button', { type: 'submit' }, 'Acknowledge'),
    );
  };

  const ackCell = (a: DeviceAlert) =>
    a.ackedBy
      ? h(
          'td',
          { 'data-acked-by': a.ackedBy },
          `${a.ackedBy}, ${time(a.ackedAt)}`,
          a.ackNote ? h('br') : null,
          a.ackNote ? `“${a.ackNote}”` : null,
        )
      : h('td', {}, session.may.ack ? ackForm(a) : 'not yet');

  const alertRow = (a: DeviceAlert) =>
    h(
      'tr',
      { class: a.clearedAt ? '' : 'open', 'data-alert': a.alertId },
      h('th', { scope: 'row' }, a.device),
      h('td', {}, a.site ?? '–'),
      h('td', {}, `${words(a.kind)} (${words(a.metric)})`),
      h('td', { class: 'num' }, `${a.value.toFixed(3)} / ${a.baseline.toFixed(3)}`),
      h('td', {}, time(a.since)),
      h(
        'td',
        { 'data-state': a.clearedAt ? 'cleared' : 'open' },
        a.clearedAt ? `cleared ${time(a.clearedAt)}` : 'open',
      ),
      ackCell(a),
    );

  const pair = (m: { value: number | null; baseline: number | null }, digits: number) =>
    `${fmt(m.value, digits)} / ${fmt(m.baseline, digits)}`;
  const healthRow = (d: DeviceHealth) =>
    h(
      'tr',
      { class: d.health === 'ok' ? '' : 'open', 'data-device': d.device },
      h('th', { scope: 'row' }, d.device),
      h('td', {}, d.site),
      h('td', { 'data-health': d.health }, d.health),
      h('td', { class: 'num' }, pair(d.noReadRate, 3)),
      h('td', { class: 'num' }, pair(d.printGrade, 2)),
      h('td', { class: 'num' }, fmt(d.driftSecondsPerHour, 1)),
      h('td', {}, time(d.lastSeen)),
    );

  const caseRow = (c: CaseSummary) =>
    h(
      'tr',
      { class: c.status === 'closed' ? '' : 'open', 'data-case': c.caseId },
      h(
        'th',
        { scope: 'row' },
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            'aria-label': `Open case ${c.caseId}: ${c.title}`,
            onclick: () => void panel.open(c.caseId),
          },
          c.caseId,
        ),
      ),
      h('td', {}, words(c.kind)),
      h('td', {}, c.title),
      h('td', {}, c.device ?? short(c.subject)),
      h('td', {}, time(c.openedAt)),
      h('td', { 'data-status': c.status }, c.status),
    );

  const render = (d: DeviceSignals) => {
    const dh = JSON.stringify(d.devices);
    if (dh !== shownHealth) {
      shownHealth = dh;
      replace(
        health,
        ...(d.devices.length === 0
          ? [h('tr', {}, h('td', { colspan: '7' }, 'No device has reported yet.'))]
          : d.devices.map(healthRow)),
      );
    }
    const a = JSON.stringify(d.alerts);
    if (a !== shownAlerts) {
      shownAlerts = a;
      replace(
        alerts,
        ...(d.alerts.length === 0
          ? [h('tr', {}, h('td', { colspan: '7' }, 'No device alerts.'))]
          : d.alerts.map(alertRow)),
      );
    }
    const q = JSON.stringify(d.cases);
    if (q !== shownQueue) {
      shownQueue = q;
      replace(
        queue,
        ...(d.cases.length === 0
          ? [h('tr', {}, h('td', { colspan: '6' }, 'No exception cases.'))]
          : d.cases.map(caseRow)),
      );
    }
    const shown = panel.shown();
    const c = shown ? d.cases.find((x) => x.caseId === shown) : undefined;
    if (c) panel.changed(c.caseId, c.entries);
  };

  return {
    el: h(
      'section',
      { 'aria-labelledby': 'devices-title' },
      h('h1', { id: 'devices-title' }, 'Devices & exceptions'),
      h('h2', {}, 'Exception queue'),
      table('Exception queue', ['case', 'kind', 'title', 'device or subject', 'opened', 'status'], queue),
      h('h2', {}, 'Device health'),
      table(
        'Device health',
        [
          'device',
          'site',
          'health',
          'no-read rate / baseline',
          'print grade / baseline',
          'clock drift s/h',
          'last seen',
        ],
        health,
      ),
      h('h2', {}, 'Device alerts'),
      message,
      table(
        'Device alerts',
        ['device', 'site', 'alert', 'value / baseline', 'since', 'state', 'acknowledged'],
        alerts,
      ),
      panel.el,
    ),
    onFrame: (frame: Frame) => render(frame.devices),
  };
};
