/** Every view: a function that builds its element once and an update for each feed frame. */
import type { Session } from './api';
import type { Frame, Sample } from './types';

export interface View {
  el: HTMLElement;
  /** A new frame from the live feed (with the history of samples, oldest first). */
  onFrame?(frame: Frame, history: Sample[]): void;
  /** The view became visible. */
  onShow?(): void;
}

export type ViewFactory = (session: Session, go: (view: string) => void) => View;
