-- Issue 12, the sink's PostgreSQL CPU per event: unit state loses its index by container now.
--
-- unit_state_container_idx (migration 010) served one read only: the sink's own "DELETE of every
-- child" ('*'), which empties every unit whose container now is that parent. Every other read walks
-- up from a unit by uri (the lot view, recall reports, containersHolding). Because container_uri was
-- indexed, every update that moved a unit into or out of a container (each ADD's children, most of
-- the upserts) could not be a HOT update: it wrote a new entry into each of unit_state's three
-- indexes. A container now is set only from an ADD fact of that parent, so the sink finds the units
-- a '*' DELETE empties from the parent's ADD facts (aggregation_facts_parent_idx) instead.
DROP INDEX ut.unit_state_container_idx;
