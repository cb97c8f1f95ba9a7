import type { Config } from '../config';
import type { DetectorSettings } from './detect';

/** The detectors' thresholds from the DEVICE_* settings (libs/config, README table). */
export function detectorSettingsOf(config: Config): DetectorSettings {
  return {
    baselineReads: config.deviceBaselineReads,
    noReadRise: config.deviceNoReadRise,
    noReadFloor: config.deviceNoReadFloor,
    gradeDrop: config.deviceGradeDrop,
    gradeSubgroup: config.deviceGradeSubgroup,
    cusumH: config.deviceCusumH,
    driftSecondsPerHour: config.deviceDriftSecondsPerHour,
    clockWindowMinutes: config.deviceClockWindowMinutes,
    clockMinSpanMinutes: config.deviceClockMinSpanMinutes,
    clockConfirm: config.deviceClockConfirm,
    silentMinutes: config.deviceSilentMinutes,
  };
}
