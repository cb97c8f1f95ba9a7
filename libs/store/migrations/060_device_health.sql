-- Device health (issue 9 §2): the device-health stage's state and its alert episodes.
-- The stage keeps each device's windows, baselines and detector statistics as one JSON document,
-- written in the same transaction as the input positions it has applied, so a restart (even a
-- SIGKILL) resumes exactly where the state is and never raises an alert twice.
CREATE TABLE IF NOT EXISTS ut.device_health (
  device      text PRIMARY KEY,
  site        text NOT NULL,
  health      text NOT NULL CHECK (health IN ('ok', 'degrading', 'drifting', 'silent')),
  last_seen   timestamptz NOT NULL,
  state       jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The next offset to apply per input partition (records below it are in ut.device_health), and
-- the latest broker time read from it (the watermark that silence is judged against).
CREATE TABLE IF NOT EXISTS ut.device_health_positions (
  topic       text NOT NULL,
  partition   integer NOT NULL,
  next_offset bigint NOT NULL,
  read_to     bigint,
  PRIMARY KEY (topic, partition)
);

-- One row per alert episode (alert_id = the episode id, device:<device>:<metric>:<since>), the
-- same ids as on ut.alerts.v1; cleared when the device recovers; acknowledged by a person.
CREATE TABLE IF NOT EXISTS ut.device_alerts (
  alert_id          text PRIMARY KEY,
  device            text NOT NULL,
  site              text,
  kind              text NOT NULL CHECK (kind IN ('device_degrading', 'device_drifting', 'device_silent')),
  metric            text NOT NULL CHECK (metric IN ('no_read_rate', 'print_grade', 'clock_drift', 'silence')),
  value             double precision NOT NULL,
  baseline          double precision NOT NULL,
  since             timestamptz NOT NULL,
  at_record         text NOT NULL,
  raised_at         timestamptz NOT NULL,
  inserted_at       timestamptz NOT NULL DEFAULT now(),
  cleared_at        timestamptz,
  cleared_at_record text,
  cleared_value     double precision,
  acked_at          timestamptz,
  acked_by          text,
  ack_note          text
);
CREATE INDEX IF NOT EXISTS device_alerts_device ON ut.device_alerts (device, raised_at DESC);
CREATE INDEX IF NOT EXISTS device_alerts_open ON ut.device_alerts (device) WHERE cleared_at IS NULL;
