-- Device health (issue 9 §2): the watermark that silence is judged against, per ordered stream.
-- Broker time is in order only within a stream: one input partition's records that came from one
-- raw partition (an input partition holds records of several raw partitions, written batch by
-- batch by the validator). The watermark is the least of these (docs/devices.md). The read_to of
-- ut.device_health_positions (per input partition) is no longer used for it.
CREATE TABLE IF NOT EXISTS ut.device_health_streams (
  stream  text PRIMARY KEY,
  read_to bigint NOT NULL
);
