/**
 * One exception case: its playbook steps (done, or a form for a person who may perform them), photo
 * evidence (a file or a phone's camera), the history and closing. The server hands every action to
 * libs/cases, which checks roles, evidence and the close; this page shows its refusals as they are.
 */
import { ApiError, blobUrl, getJson, postFile, postJson, type Session } from './api';
import { h, replace, short, time } from './dom';
import type { CaseDetail, CaseStep, HistoryEntry } from './types';

const evidenceWords: Record<CaseStep['evidence'], string> = {
  photo: 'photo',
  rescan: 're-scan of the code',
  value: 'a value',
  none: 'no evidence',
};

const photosOf = (history: HistoryEntry[]) =>
  history
    .filter((e) => e.action === 'evidence' && typeof e.detail.sha256 === 'string')
    .map((e) => ({
      sha256: e.detail.sha256 as string,
      width: Number(e.detail.width),
      height: Number(e.detail.height),
      mediaType: String(e.detail.mediaType),
      at: e.at,
      actor: e.actor,
    }));

function evidenceText(done: HistoryEntry): string {
  const ev = (done.detail.evidence ?? {}) as Record<string, unknown>;
  const parts = [
    ev.kind === 'photo' ? `photo ${String(ev.sha256).slice(0, 12)}…` : '',
    ev.kind === 'rescan' ? `re-scanned ${short(String(ev.uri ?? ev.code))}` : '',
    ev.kind === 'value' ? `“${String(ev.value)}”` : '',
    done.detail.containment ? 'goods rerouted to the hold' : '',
    typeof ev.note === 'string' && ev.note ? `note: ${ev.note}` : '',
  ];
  return parts.filter(Boolean).join(' · ');
}

export interface CasePanel {
  el: HTMLElement;
  open(caseId: string): Promise<void>;
  /** The queue's count of history entries for the shown case: reloads when it changed. */
  changed(caseId: string, entries: number): void;
  shown(): string | null;
}

export function casePanel(session: Session): CasePanel {
  const el = h('section', { class: 'case', 'aria-labelledby': 'case-title', hidden: true });
  const message = h('p', { class: 'message', role: 'status' });
  const thumbs = new Map<string, string>();
  let current: { id: string; entries: number } | null = null;
  let stale = false;
  el.addEventListener('focusout', (e) => {
    if (stale && current && !el.contains((e as FocusEvent).relatedTarget as Node | null)) {
      stale = false;
      void load(current.id).catch(() => {});
    }
  });

  const say = (text: string, error = false) => {
    message.textContent = text;
    message.classList.toggle('error', error);
    message.setAttribute('role', error ? 'alert' : 'status');
  };
  const act = async (label: string, fn: () => Promise<string>) => {
    say(`${label}…`);
    try {
      const done = await fn();
      if (current) await load(current.id);
      say(done);
    } catch (err) {
      say(`${label} refused: ${err instanceof ApiError ? err.message : (err as Error).message}`, true);
    }
  };
  const path = (suffix = '') => `/api/cases/${encodeURIComponent(current!.id)}${suffix}`;

  const photoList = (d: CaseDetail) => {
    const photos = photosOf(d.history);
    if (photos.length === 0) return h('p', { class: 'muted' }, 'No photo attached yet.');
    const list = h('ul', { class: 'photos', 'aria-label': 'Photos attached' });
    for (const p of photos) {
      const img = h('img', {
        alt: `Photo ${p.sha256.slice(0, 12)}, ${p.width}×${p.height}, by ${p.actor}`,
        width: 96,
        height: 96,
      });
      list.append(
        h('li', {}, img, h('span', { class: 'muted' }, `${p.sha256.slice(0, 12)}… ${time(p.at).slice(11)}`)),
      );
      const cached = thumbs.get(p.sha256);
      if (cached) img.src = cached;
      else
        void blobUrl(`/api/cases/evidence/${p.sha256}`)
          .then((url) => {
            thumbs.set(p.sha256, url);
            img.src = url;
          })
          .catch(() => img.setAttribute('alt', `${img.alt} (could not be loaded)`));
    }
    return list;
  };

  const uploadForm = () => {
    const form = h(
      'form',
      { class: 'upload', 'aria-label': 'Attach a photo' },
      h('label', { for: 'case-photo' }, 'Photo (JPEG or PNG; a phone offers its camera)'),
      h('input', {
        id: 'case-photo',
        name: 'photo',
        type: 'file',
        accept: 'image/jpeg,image/png',
        required: true,
      }),
      h('button', { type: 'submit' }, 'Upload photo'),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const file = (form.elements.namedItem('photo') as HTMLInputElement).files?.[0];
      if (!file) return say('choose a photo first', true);
      void act('uploading', async () => {
        const p = await postFile<{ sha256: string; width: number; height: number }>(path('/evidence'), file);
        form.reset();
        return `photo ${p.sha256.slice(0, 12)}… attached (${p.width}×${p.height})`;
      });
    });
    return form;
  };

  const stepForm = (d: CaseDetail, s: CaseStep) => {
    const id = (what: string) => `step-${s.id}-${what}`;
    const field = (what: string, label: string, attrs: Record<string, string | boolean> = {}) => [
      h('label', { for: id(what) }, label),
      h('input', { id: id(what), name: what, autocomplete: 'off', ...attrs }),
    ];
    const photos = photosOf(d.history);
    const evidence =
      s.evidence === 'photo'
        ? photos.length === 0
          ? [h('p', { class: 'muted' }, 'Upload a photo below first.')]
          : [
              h('label', { for: id('photo') }, 'Photo'),
              h(
                'select',
                { id: id('photo'), name: 'photo' },
                ...photos
                  .slice()
                  .reverse()
                  .map((p) =>
                    h('option', { value: p.sha256 }, `${p.sha256.slice(0, 12)}… (${p.width}×${p.height})`),
                  ),
              ),
            ]
        : s.evidence === 'rescan'
          ? field('code', 'Code as re-scanned', { required: true, spellcheck: 'false' })
          : s.evidence === 'value'
            ? field('value', 'Value', { required: true })
            : [];
    const form = h(
      'form',
      { class: 'step-form', 'aria-label': s.title },
      ...evidence,
      ...field('note', 'Note (optional)'),
      h('button', { type: 'submit' }, s.action === 'containment' ? 'Record and reroute' : 'Record step'),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const data = new FormData(form);
      const value = (k: string) => (data.get(k) === null ? undefined : String(data.get(k)));
      void act(`recording '${s.title}'`, async () => {
        await postJson(path('/steps'), {
          step: s.id,
          photo: value('photo'),
          code: value('code'),
          value: value('value'),
          note: value('note'),
        });
        return `step recorded: ${s.title}`;
      });
    });
    return form;
  };

  const closeForm = () => {
    const form = h(
      'form',
      { class: 'close', 'aria-label': 'Close the case' },
      h('label', { for: 'case-close-note' }, 'Closing note (optional)'),
      h('input', { id: 'case-close-note', name: 'note', autocomplete: 'off' }),
      h('button', { type: 'submit', class: 'danger' }, 'Close case'),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const note = String(new FormData(form).get('note') ?? '');
      void act('closing', async () => {
        await postJson(path('/close'), { note });
        return `case ${current!.id} closed`;
      });
    });
    return form;
  };

  const render = (d: CaseDetail) => {
    const c = d.case;
    const closed = c.status === 'closed';
    const steps = h(
      'ol',
      { class: 'steps', 'aria-label': 'Playbook steps' },
      ...d.steps.map((s) => {
        const mine = !closed && !s.done && !s.automatic && s.roles.includes(session.role);
        return h(
          'li',
          { class: s.done ? 'done' : 'todo', 'data-step': s.id },
          h(
            'p',
            {},
            h('strong', {}, s.title),
            ` (${evidenceWords[s.evidence]}${s.required ? '' : ', optional'}${s.automatic ? ', recorded by the cases stage' : ''})`,
          ),
          s.done
            ? h(
                'p',
                { class: 'muted' },
                `✓ ${s.done.actor} at ${time(s.done.at)}`,
                evidenceText(s.done) ? ` · ${evidenceText(s.done)}` : '',
              )
            : mine
              ? stepForm(d, s)
              : h('p', { class: 'muted' }, closed ? 'not done' : `to do (${s.roles.join(' or ')})`),
        );
      }),
    );
    replace(
      el,
      h('h2', { id: 'case-title', tabindex: '-1' }, `Case ${c.case_id}: ${c.title}`),
      h(
        'dl',
        { class: 'facts' },
        ...(
          [
            ['kind', c.kind],
            ['status', c.status],
            ['subject', short(c.subject)],
            ['device', c.device_id ?? '–'],
            ['site', c.site ?? '–'],
            ['opened', `${time(c.opened_at)} by ${c.opened_by}`],
            ['playbook', `${d.playbook.title} (v${d.playbook.version})`],
            ...(closed ? [['closed', `${time(c.closed_at)} by ${c.closed_by ?? '–'}`]] : []),
          ] as [string, string][]
        ).map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', { 'data-fact': k }, v))),
      ),
      h('h3', {}, 'Steps'),
      steps,
      h('h3', {}, 'Evidence'),
      photoList(d),
      session.may.cases && !closed ? uploadForm() : null,
      d.directives.length > 0 ? h('h3', {}, 'Containment') : null,
      ...d.directives.map((x) =>
        h(
          'p',
          {},
          `Directive ${x.directiveId} to ${x.to}: ${x.items.filter((i) => i.arrived).length} of ${x.items.length} arrived`,
        ),
      ),
      session.may.cases && !closed ? closeForm() : null,
      message,
      h('h3', {}, 'History'),
      h(
        'ol',
        { class: 'history', 'aria-label': 'Case history, oldest first' },
        ...d.history.map((e) =>
          h(
            'li',
            {},
            h('time', { datetime: e.at }, time(e.at)),
            ` ${e.actor}: ${e.action}${e.step ? ` ${e.step}` : ''}`,
          ),
        ),
      ),
    );
    el.dataset.status = c.status;
  };

  async function load(caseId: string): Promise<void> {
    const d = await getJson<CaseDetail>(`/api/cases/${encodeURIComponent(caseId)}`);
    current = { id: caseId, entries: d.history.length };
    const msg = message.textContent;
    const error = message.classList.contains('error');
    render(d);
    if (msg) say(msg, error);
  }

  return {
    el,
    async open(caseId) {
      say('');
      el.hidden = false;
      try {
        await load(caseId);
        el.querySelector<HTMLElement>('#case-title')?.focus();
      } catch (err) {
        replace(
          el,
          h(
            'p',
            { class: 'message error', role: 'alert' },
            err instanceof ApiError ? err.message : String(err),
          ),
        );
      }
    },
    changed(caseId, entries) {
      // Someone else (or the cases stage) changed the case shown: read it again, but not under the
      // hands of a person filling a form in it (then once the focus leaves the case).
      if (current?.id !== caseId || entries === current.entries) return;
      const active = document.activeElement;
      if (active && el.contains(active) && active.matches('input, select, textarea')) stale = true;
      else void load(caseId).catch(() => {});
    },
    shown: () => current?.id ?? null,
  };
}
