-- Device alerts (issue 9 §2): at_record is now the record whose observation tipped the statistic
-- over; read_to the newest record (by broker time) of the metric's own evidence read when the
-- alert fired. Read in order they are the same record; read out of order (a burst the validator
-- catches up on raw partition by raw partition) read_to can be thousands of records later. Rows
-- raised before keep read_to null (their at_record was the device's newest record of any kind).
ALTER TABLE ut.device_alerts ADD COLUMN IF NOT EXISTS read_to text;
