-- Unit state gets its index by container now back (migration 098 dropped it).
--
-- Without it, a DELETE naming no child ('*': "the container is emptied") found the units in its
-- parent from the parent's ADD facts, that is from the parent's whole history. For a single-use
-- case or pallet that is one use; for a returnable crate or tote (a GRAI used thousands of times) it
-- is every unit ever packed in it: a crate with 200,000 past ADD facts and 50 units in it now took
-- 1.4 s to empty, and the lock pass before it 11 minutes, a sink stalled with its locks held
-- (docs/capacity.md). With the index the work is the units in the container now.
--
-- What 098 bought with the drop (container moves as HOT updates) was within the noise of its own
-- measurement (the sink's PostgreSQL CPU 269.5 → 261.5 µs per event, both changes of that step
-- together, under load); a stall proportional to a container's history is not.
CREATE INDEX IF NOT EXISTS unit_state_container_idx ON ut.unit_state (container_uri)
  WHERE container_uri IS NOT NULL;
