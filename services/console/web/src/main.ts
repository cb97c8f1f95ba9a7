/**
 * The console page: a login form where the token is pasted (held in memory only), then five views
 * fed by one live stream. Views come and go by the URL's fragment (#now, #recalls...), never the token.
 */
import './style.css';
import { ApiError, followFeed, getJson, setToken, type Session } from './api';
import { devicesView } from './devices';
import { h, replace } from './dom';
import { nowView } from './now';
import { qualityView } from './quality';
import { recallsView } from './recalls';
import type { Frame, Sample } from './types';
import { unitView } from './unit';
import type { View, ViewFactory } from './views';

const factories: Record<string, ViewFactory> = {
  now: nowView,
  recalls: recallsView,
  unit: unitView,
  devices: devicesView,
  quality: qualityView,
};

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
const conn = document.getElementById('conn')!;
const who = document.getElementById('who')!;

function login(reason?: string): void {
  nav.hidden = true;
  who.textContent = '';
  conn.textContent = '';
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const error = h('p', { class: 'message error', role: 'alert' }, reason ?? '');
  const form = h(
    'form',
    { class: 'login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Sign in'),
    h('label', { for: 'token' }, 'API token'),
    input,
    h(
      'p',
      { class: 'muted' },
      'Paste a token from `unitrail token create` (or the one `npm start` printed). It is kept in this tab’s memory only.',
    ),
    h('button', { type: 'submit' }, 'Open the console'),
    error,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    getJson<Session>('/api/session')
      .then(start)
      .catch((err) => {
        setToken(null);
        error.textContent =
          err instanceof ApiError ? err.message : `the console does not answer: ${(err as Error).message}`;
      });
  });
  replace(main, form);
  input.focus();
}

function start(session: Session): void {
  who.textContent = `${session.name} (${session.role})`;
  nav.hidden = false;
  const go = (name: string) => {
    location.hash = `#${name}`;
  };
  const views = new Map<string, View>(Object.entries(factories).map(([k, f]) => [k, f(session, go)]));
  let last: { frame: Frame; history: Sample[] } | null = null;
  const risks = h('ul', { class: 'risks', 'aria-label': 'Risk indicators', 'aria-live': 'polite' });
  const holder = h('div', {});
  replace(main, risks, holder);

  const show = () => {
    const name = location.hash.slice(1) || 'now';
    const view = views.get(name) ?? views.get('now')!;
    for (const a of nav.querySelectorAll('a'))
      if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    replace(holder, view.el);
    view.onShow?.();
    if (last) view.onFrame?.(last.frame, last.history);
  };
  window.addEventListener('hashchange', show);
  show();

  let history: Sample[] = [];
  const apply = (frame: Frame) => {
    if (history.length === 0 || history[history.length - 1]!.t !== frame.sample.t) history.push(frame.sample);
    history = history.filter((s) => s.t >= frame.at - 300_000);
    last = { frame, history };
    replace(
      risks,
      ...(frame.risks.length === 0
        ? [h('li', { class: 'ok' }, 'No risks right now: no active recall, no DLQ burst, no lag.')]
        : frame.risks.map((r) => h('li', { class: r.level }, h('a', { href: `#${r.view}` }, r.text)))),
    );
    document.body.dataset.frameAt = String(frame.at);
    for (const v of views.values()) v.onFrame?.(frame, history);
  };

  followFeed(
    (event, data) => {
      if (event === 'hello') {
        const hello = data as { frame: Frame | null; history: Sample[] };
        history = hello.history;
        if (hello.frame) apply(hello.frame);
      } else if (event === 'frame') apply(data as Frame);
    },
    (status, detail) => {
      conn.textContent =
        status === 'live' ? '● live' : status === 'signed out' ? 'signed out' : `○ ${status}…`;
      conn.dataset.status = status;
      if (status === 'signed out') {
        setToken(null);
        login(detail);
      }
    },
  );
}

login();
