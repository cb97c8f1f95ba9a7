import type { Role } from '../tokens';

/**
 * Who may acknowledge a device alert: the teams that act on the floor (docs/access.md). The ops
 * API and the console both ask this one list.
 */
export const deviceAckers: readonly Role[] = ['quality', 'admin'];
