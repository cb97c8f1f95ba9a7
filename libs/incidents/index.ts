/** Learning from incidents: patterns and per-device risk over the case history (docs/exceptions.md). */
export * from './model';
export {
  loadActivity,
  loadCondition,
  loadDevices,
  loadHealthEpisodes,
  loadIncidentRows,
  loadHistory,
} from './store';
export { formatInsights } from './format';
