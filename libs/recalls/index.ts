/**
 * Recalls: the scope and the router's test of it (recall.ts), declaring and closing (declare.ts),
 * the affected-units report (report.ts), quarantine (quarantine.ts), partner notices (notices.ts),
 * and the coordinator's operations over them, the same from the ops API and the CLI (actions.ts).
 * Files of this lib import each other directly, never this index.
 */
export * from './recall';
export * from './store';
export * from './declare';
export * from './report';
export * from './quarantine';
export * from './notices';
export * from './actions';
export * from './scope-text';
