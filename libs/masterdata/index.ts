/** Master data: products, sites, devices, operators, partners (records.ts), and their store (store.ts). */
export * from './records';
export { formatLoaded, formatMasterdata, listMasterdata, loadMasterdata, type MasterdataRow } from './store';
