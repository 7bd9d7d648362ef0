-- A tenant's metric sources (issue 18): where its live metrics are and the PromQL that reads
-- them. Written only by the operator's `client.py sources set`, read by the tools under the
-- tenant's row-level security. Not in the SQL validator's tables: LLM SQL cannot read it.
CREATE TABLE tenant_source (
    tenant_id   text NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('prometheus')),
    config      jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, kind)
);

ALTER TABLE tenant_source ENABLE ROW LEVEL SECURITY;
-- The tenant through opsflow_tenant() (0003): the tool role may not call current_setting.
CREATE POLICY tenant_isolation ON tenant_source
    USING (tenant_id = (SELECT opsflow_tenant()))
    WITH CHECK (tenant_id = (SELECT opsflow_tenant()));
-- Tool sessions are read-only transactions, so only the operator's write session
-- (read-write, same role, same policy) can change a row, and only its own tenant's.
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_source TO opsflow_tool;
