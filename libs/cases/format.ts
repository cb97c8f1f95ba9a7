/** Cases as text for people (the CLI); the ops API answers the same views as JSON. */
import type { HistoryEntry } from './history';
import type { Photo } from './images';
import type { CaseRow, CaseView, VerifyOutcome } from './store';

const day = (d: Date | null) => (d ? d.toISOString().replace('T', ' ').slice(0, 19) : '-');

export function formatCaseList(rows: CaseRow[]): string {
  if (rows.length === 0) return 'no cases';
  const lines = rows.map(
    (c) =>
      `${c.case_id}  ${c.status.padEnd(8)} ${c.kind.padEnd(17)} ${day(c.opened_at)}  ${c.device_id ?? '-'}  ${c.title}`,
  );
  return ['case          status   kind              opened               device  title', ...lines].join('\n');
}

export function formatCase(v: CaseView): string {
  const c = v.case;
  const out = [
    `${c.case_id}  ${c.kind}  ${c.status}${c.closed_at ? ` (closed ${day(c.closed_at)} by ${c.closed_by})` : ''}`,
    `  ${c.title}`,
    `  opened ${day(c.opened_at)} by ${c.opened_by} from ${c.source}${c.source_ref ? ` ${c.source_ref}` : ''}`,
    `  subject ${c.subject ?? '-'}  device ${c.device_id ?? '-'}  site ${c.site ?? '-'}  operator ${c.operator_id ?? '-'}`,
    `  playbook ${v.playbook.file} v${v.playbook.version}: ${v.playbook.title}`,
  ];
  for (const s of v.steps) {
    const mark = s.done ? 'done' : s.required ? 'TODO' : 'optional';
    out.push(
      `    [${mark.padEnd(8)}] ${s.id} (${s.evidence}; ${s.roles.join('/')}): ${s.title}${s.done ? ` (${s.done.actor}, ${s.done.at})` : ''}`,
    );
  }
  for (const d of v.directives) {
    out.push(`  directive ${d.directiveId} → ${d.to} (${day(d.issuedAt)})`);
    for (const i of d.items)
      out.push(`    ${i.arrived ? 'arrived ' : 'not yet '} ${i.id}${i.location ? `  at ${i.location}` : ''}`);
  }
  out.push('  history');
  for (const h of v.history)
    out.push(
      `    ${h.seq}. ${h.at} ${h.actor}${h.role ? ` (${h.role})` : ''} ${h.action}${h.step ? ` ${h.step}` : ''}`,
    );
  out.push(
    v.closeRefusal
      ? `  to close: ${v.closeRefusal.replace(/^case \S+ cannot close: /, '')}`
      : c.status === 'closed'
        ? ''
        : '  ready to close',
  );
  return out.filter((l) => l !== '').join('\n');
}

export const formatPhoto = (p: Photo) =>
  `attached ${p.sha256} (${p.mediaType} ${p.width}x${p.height}, ${p.size} bytes)`;

/** A recorded step; a containment step names the directive that moves the goods. */
export function formatStep(entry: HistoryEntry): string {
  const contained = entry.detail.containment as
    { directive?: { directiveId: string; to: string } } | undefined;
  const directive = contained?.directive;
  return `${entry.caseId}: step ${entry.step} recorded (#${entry.seq})${directive ? `; directive ${directive.directiveId} sent: move to ${directive.to}` : ''}`;
}

export const formatVerify = (r: VerifyOutcome) =>
  r.ok
    ? `case history intact: ${r.entries} entries in ${r.cases} cases` +
      (r.head ? `; chain over all cases at entry ${r.head.gseq}, ${r.head.ghash}` : '')
    : `case history TAMPERED: case ${r.caseId} entry ${r.seq}: ${r.problem}`;
