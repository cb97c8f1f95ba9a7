-- Device health history (issue 9 §4): what the device-health stage saw of each device, per
-- 5-minute bucket of broker time (the raw record's Kafka timestamp, the incidents model's clock):
-- its verifications, no-reads, graded reads, the sum of their grades (A=4 .. F=0) and how many
-- were graded D or F, and its events. ut.device_health keeps only each device's latest state;
-- this keeps the past, so that the model can read a device's condition as it was known at a
-- past window's start (only buckets that had ended by then). Sums, not averages: they do not
-- depend on the order the records were read in. The stage adds a batch's counts in the same
-- transaction as the input positions it has applied, so a restart or a replay never adds a
-- record twice.
CREATE TABLE IF NOT EXISTS ut.device_health_history (
  device        text NOT NULL,
  bucket_start  timestamptz NOT NULL,
  verifications integer NOT NULL DEFAULT 0,
  no_reads      integer NOT NULL DEFAULT 0,
  graded        integer NOT NULL DEFAULT 0,
  grade_sum     integer NOT NULL DEFAULT 0,
  low_grades    integer NOT NULL DEFAULT 0,
  events        integer NOT NULL DEFAULT 0,
  PRIMARY KEY (device, bucket_start)
);
