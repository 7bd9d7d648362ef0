-- The tool role may execute only allowlisted functions (opsflow/db/function_acl.py revokes
-- the rest after every migration). Row-level security must therefore not call
-- current_setting() as the tool role: the policies read the tenant through one
-- SECURITY DEFINER function that can return nothing but the session's own tenant.
CREATE OR REPLACE FUNCTION opsflow_tenant() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog
    AS $$ SELECT pg_catalog.current_setting('app.tenant_id', true) $$;
REVOKE EXECUTE ON FUNCTION opsflow_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION opsflow_tenant() TO opsflow_tool;

-- Evaluated once per query as an InitPlan ((SELECT ...)), not once per row.
ALTER POLICY tenant_isolation ON tenant USING (id = (SELECT opsflow_tenant()));
ALTER POLICY tenant_isolation ON ci USING (tenant_id = (SELECT opsflow_tenant()));
ALTER POLICY tenant_isolation ON ci_relation USING (tenant_id = (SELECT opsflow_tenant()));
ALTER POLICY tenant_isolation ON metric_sample USING (tenant_id = (SELECT opsflow_tenant()));
ALTER POLICY tenant_isolation ON metric_rollup USING (tenant_id = (SELECT opsflow_tenant()));
ALTER POLICY tenant_isolation ON event USING (tenant_id = (SELECT opsflow_tenant()));
ALTER POLICY tenant_isolation ON topology_snapshot
    USING (tenant_id = (SELECT opsflow_tenant()));
ALTER POLICY tenant_isolation ON tool_result_claim
    USING (tenant_id = (SELECT opsflow_tenant()))
    WITH CHECK (tenant_id = (SELECT opsflow_tenant()));

-- direct_query wraps every validated query so that no row over the per-row byte cap
-- leaves the database: one 10 MB cell must fail there, not in the worker's memory.
CREATE OR REPLACE FUNCTION opsflow_guard_row_bytes(row_bytes integer, cap integer)
    RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
    AS $$
BEGIN
    IF row_bytes > cap THEN
        -- RAISE's own formatting: format() is not executable by the tool role.
        RAISE EXCEPTION 'a result row is % bytes as text; at most % are returned', row_bytes, cap
            USING ERRCODE = 'program_limit_exceeded';
    END IF;
    RETURN true;
END
$$;
REVOKE EXECUTE ON FUNCTION opsflow_guard_row_bytes(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION opsflow_guard_row_bytes(integer, integer) TO opsflow_tool;

-- Claims expire (OPSFLOW_CLAIM_RETENTION_S): the cleanup job deletes by age.
CREATE INDEX IF NOT EXISTS tool_result_claim_created_idx ON tool_result_claim (created_at);
