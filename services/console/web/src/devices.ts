/** Devices & exceptions: device alerts and the exception queue, from the device-health and case work. */
import { h, replace, time } from './dom';
import type { DeviceSignals, Frame } from './types';
import type { ViewFactory } from './views';

export const devicesView: ViewFactory = () => {
  const body = h('div', { 'aria-live': 'polite' });
  let shown = '';
  const render = (d: DeviceSignals) => {
    const key = JSON.stringify(d);
    if (key === shown) return;
    shown = key;
    if (!d.available) {
      replace(
        body,
        h(
          'p',
          { class: 'notice' },
          'Device health and exception cases are not in this journey store yet: their tables come with the device-health and exception-case migrations. This view shows them as soon as they exist.',
        ),
      );
      return;
    }
    replace(
      body,
      h('h2', {}, 'Device alerts'),
      h(
        'table',
        { class: 'grid' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['device', 'site', 'alert', 'value / baseline', 'since', 'cleared'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          ...(d.alerts.length === 0
            ? [h('tr', {}, h('td', { colspan: '6' }, 'No device alerts.'))]
            : d.alerts.map((a) =>
                h(
                  'tr',
                  { class: a.clearedAt ? '' : 'open' },
                  h('td', {}, a.device),
                  h('td', {}, a.site ?? '–'),
                  h('td', {}, `${a.kind} (${a.metric})`),
                  h('td', { class: 'num' }, `${a.value.toFixed(3)} / ${a.baseline.toFixed(3)}`),
                  h('td', {}, time(a.since)),
                  h('td', {}, a.clearedAt ? time(a.clearedAt) : 'open'),
                ),
              )),
        ),
      ),
      h('h2', {}, 'Exception queue'),
      h(
        'table',
        { class: 'grid' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['case', 'kind', 'title', 'device / site', 'opened', 'status'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          ...(d.cases.length === 0
            ? [h('tr', {}, h('td', { colspan: '6' }, 'No exception cases.'))]
            : d.cases.map((c) =>
                h(
                  'tr',
                  {},
                  h('td', {}, c.caseId),
                  h('td', {}, c.kind),
                  h('td', {}, c.title),
                  h('td', {}, `${c.device ?? '–'} / ${c.site ?? '–'}`),
                  h('td', {}, time(c.openedAt)),
                  h('td', {}, c.status),
                ),
              )),
        ),
      ),
    );
  };
  return {
    el: h(
      'section',
      { 'aria-labelledby': 'devices-title' },
      h('h1', { id: 'devices-title' }, 'Devices & exceptions'),
      body,
    ),
    onFrame: (frame: Frame) => render(frame.devices),
  };
};
