/** Process supervision: stage processes (processes.ts) and `scale`'s supervisor (scale.ts). */
export * from './processes';
export { scaleStage } from './scale';
