-- Window reads answered from the index alone (issue 17; docs/DECISIONS.md "Window reads").
-- Every metric tool reads (tenant_id, ci_id = ANY, metric, ts in a window) and needs only
-- the value besides the key: with the value in the primary key's leaf entries the read is
-- an index-only scan, whose cost is the window's index pages whatever the table's size and
-- whatever order the rows arrived in (rows appended in time order put a series' points on
-- as many heap pages as it has points). Same key, same uniqueness, same ON CONFLICT target;
-- the index grows by the value (8 bytes a row). Rebuilding it takes an exclusive lock for
-- as long as the build: on a large existing table, plan a maintenance window.
ALTER TABLE metric_sample
    DROP CONSTRAINT metric_sample_pkey,
    ADD CONSTRAINT metric_sample_pkey PRIMARY KEY (tenant_id, ci_id, metric, ts) INCLUDE (value);
