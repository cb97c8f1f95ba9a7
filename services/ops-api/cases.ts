/**
 * The ops API's exception-case routes (docs/exceptions.md). Cases are read by the quality team,
 * recall coordinators, admins and the console's viewers; acted on by quality and admin (a quarantine
 * breach's steps also by recall coordinators, as its playbook says; the engine checks each step).
 *
 *   GET  /cases[?status=&kind=]          the newest cases
 *   POST /cases                          open by hand {kind, title, subject?, units?, site?, device?, key?}
 *   GET  /cases/{id}                     steps, evidence, directives (arrived / not yet), history
 *   POST /cases/{id}/evidence            a photo: the body is the JPEG/PNG bytes → {sha256, ...}
 *   GET  /cases/evidence/{sha256}        a photo's bytes
 *   POST /cases/{id}/steps               {step, photo?, code?, value?, note?, to?}
 *   POST /cases/{id}/close               {note?}  (409 while a required step is missing)
 */
import { readBody, sendJson, sendProblem } from '../../libs/http';
import { UnitrailError, UsageError } from '../../libs/errors';
import {
  attachPhoto,
  closeCase,
  containWith,
  listCases,
  MAX_PHOTO_BYTES,
  openManualCase,
  photoBytes,
  recordStep,
  RoleRefused,
  showCase,
  StateRefused,
} from '../../libs/cases';
import type { OpsDeps } from '../../libs/recalls';
import type { Role } from '../../libs/tokens';
import type { RequestContext, Route } from './route';

const caseReaders: readonly Role[] = ['quality', 'recall_coordinator', 'admin', 'viewer'];
const caseActors: readonly Role[] = ['quality', 'admin'];
const stepActors: readonly Role[] = ['quality', 'recall_coordinator', 'admin'];

const str = (v: unknown, name: string): string | undefined => {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new UsageError(`${name} must be a string`);
  return v;
};

/** Refusals get their status: 404 no such case, 403 a role the playbook does not allow, 409 the case's state. */
function answering(run: (ctx: RequestContext) => Promise<void>) {
  return async (ctx: RequestContext) => {
    try {
      await run(ctx);
    } catch (err) {
      if (err instanceof RoleRefused) return sendProblem(ctx.res, 403, err.message);
      if (err instanceof StateRefused) return sendProblem(ctx.res, 409, err.message);
      if (err instanceof UnitrailError && err.code === 'NOT_FOUND')
        return sendProblem(ctx.res, 404, err.message);
      throw err;
    }
  };
}

export function caseRoutes(deps: OpsDeps): Route[] {
  const { pool } = deps;
  const actor = (ctx: RequestContext) => ({ actor: ctx.who.name, role: ctx.who.role });
  return [
    {
      method: 'GET',
      pattern: /^\/cases$/,
      name: '/cases',
      roles: caseReaders,
      run: answering(async ({ res, url }) => {
        const status = url.searchParams.get('status') ?? undefined;
        const kind = url.searchParams.get('kind') ?? undefined;
        sendJson(res, 200, { cases: await listCases(pool, { status, kind }) });
      }),
    },
    {
      method: 'POST',
      pattern: /^\/cases$/,
      name: '/cases',
      roles: caseActors,
      run: answering(async (ctx) => {
        const b = await ctx.body();
        const units = b.units === undefined ? undefined : b.units;
        if (units !== undefined && !(Array.isArray(units) && units.every((u) => typeof u === 'string')))
          throw new UsageError('units must be an array of strings');
        const r = await openManualCase(
          pool,
          {
            kind: String(b.kind ?? ''),
            title: str(b.title, 'title') ?? '',
            subject: str(b.subject, 'subject'),
            units: units as string[] | undefined,
            site: str(b.site, 'site'),
            deviceId: str(b.device, 'device'),
            key: str(b.key, 'key'),
          },
          actor(ctx),
        );
        ctx.resource(r.caseId);
        sendJson(ctx.res, r.opened ? 201 : 200, r, { location: `/cases/${r.caseId}` });
      }),
    },
    {
      method: 'GET',
      pattern: /^\/cases\/evidence\/([0-9a-fA-F]{64})$/,
      name: '/cases/evidence/{sha256}',
      roles: caseReaders,
      run: answering(async ({ res, params }) => {
        const photo = await photoBytes(pool, params[0]!);
        if (!photo) return sendProblem(res, 404, `no photo ${params[0]}`);
        res.writeHead(200, { 'content-type': photo.mediaType, 'content-length': photo.bytes.length });
        res.end(photo.bytes);
      }),
    },
    {
      method: 'GET',
      pattern: /^\/cases\/([^/]+)$/,
      name: '/cases/{id}',
      roles: caseReaders,
      run: answering(async ({ res, params }) => sendJson(res, 200, await showCase(pool, params[0]!))),
    },
    {
      method: 'POST',
      pattern: /^\/cases\/([^/]+)\/evidence$/,
      name: '/cases/{id}/evidence',
      roles: caseActors,
      run: answering(async (ctx) => {
        const read = await readBody(ctx.req, MAX_PHOTO_BYTES);
        if (!read.ok) return sendProblem(ctx.res, 413, `the photo is larger than ${MAX_PHOTO_BYTES} bytes`);
        sendJson(ctx.res, 201, await attachPhoto(pool, ctx.params[0]!, read.body, actor(ctx)));
      }),
    },
    {
      method: 'POST',
      pattern: /^\/cases\/([^/]+)\/steps$/,
      name: '/cases/{id}/steps',
      roles: stepActors,
      run: answering(async (ctx) => {
        const b = await ctx.body();
        const step = str(b.step, 'step');
        if (!step) throw new UsageError('step is required: the playbook step id');
        const to = str(b.to, 'to');
        const entry = await recordStep(
          pool,
          ctx.params[0]!,
          step,
          actor(ctx),
          {
            photo: str(b.photo, 'photo'),
            code: str(b.code, 'code'),
            value: str(b.value, 'value'),
            note: str(b.note, 'note'),
            to,
          },
          containWith(deps, { to, requestedBy: ctx.who.name }),
        );
        sendJson(ctx.res, 201, entry);
      }),
    },
    {
      method: 'POST',
      pattern: /^\/cases\/([^/]+)\/close$/,
      name: '/cases/{id}/close',
      roles: caseActors,
      run: answering(async (ctx) => {
        const b = await ctx.body();
        sendJson(ctx.res, 200, await closeCase(pool, ctx.params[0]!, actor(ctx), str(b.note, 'note')));
      }),
    },
  ];
}
