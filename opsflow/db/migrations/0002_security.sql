-- Tool sessions run as opsflow_tool: not the owner, so row-level security applies to it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'opsflow_tool') THEN
        CREATE ROLE opsflow_tool NOLOGIN;
    END IF;
END
$$;
GRANT opsflow_tool TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO opsflow_tool;
GRANT SELECT ON tenant, ci, ci_relation, metric_sample, metric_rollup, event, topology_snapshot
    TO opsflow_tool;
GRANT SELECT, INSERT ON tool_result_claim TO opsflow_tool;

ALTER TABLE tenant ENABLE ROW LEVEL SECURITY;
ALTER TABLE ci ENABLE ROW LEVEL SECURITY;
ALTER TABLE ci_relation ENABLE ROW LEVEL SECURITY;
ALTER TABLE metric_sample ENABLE ROW LEVEL SECURITY;
ALTER TABLE metric_rollup ENABLE ROW LEVEL SECURITY;
ALTER TABLE event ENABLE ROW LEVEL SECURITY;
ALTER TABLE topology_snapshot ENABLE ROW LEVEL SECURITY;
ALTER TABLE tool_result_claim ENABLE ROW LEVEL SECURITY;

-- current_setting(..., true) is NULL when unset: NULL never equals, so no rows leak.
CREATE POLICY tenant_isolation ON tenant
    USING (id = current_setting('app.tenant_id', true));
CREATE POLICY tenant_isolation ON ci
    USING (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY tenant_isolation ON ci_relation
    USING (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY tenant_isolation ON metric_sample
    USING (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY tenant_isolation ON metric_rollup
    USING (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY tenant_isolation ON event
    USING (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY tenant_isolation ON topology_snapshot
    USING (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY tenant_isolation ON tool_result_claim
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

-- Functions that change settings, sleep, touch files, large objects, sequences or other
-- backends: no EXECUTE for the tool role, even if a query slipped past the validator.
REVOKE EXECUTE ON FUNCTION set_config(text, text, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_sleep(double precision) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_sleep_for(interval) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_sleep_until(timestamp with time zone) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_read_file(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_read_binary_file(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_ls_dir(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_stat_file(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION lo_import(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION lo_export(oid, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION lo_creat(integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION lo_unlink(oid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION nextval(regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION setval(regclass, bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_terminate_backend(integer, bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_cancel_backend(integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_reload_conf() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_advisory_lock(bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION query_to_xml(text, boolean, boolean, text) FROM PUBLIC;
