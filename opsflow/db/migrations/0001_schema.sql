-- Ops schema: every tenant table carries tenant_id and leads its keys with it.
CREATE TABLE tenant (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ci (
    tenant_id   text NOT NULL REFERENCES tenant(id),
    id          text NOT NULL,
    name        text NOT NULL,
    ci_type     text NOT NULL,
    environment text NOT NULL DEFAULT 'prod',
    status      text NOT NULL DEFAULT 'active',
    attributes  jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);
CREATE INDEX ci_type_idx ON ci (tenant_id, ci_type);
CREATE INDEX ci_lower_name_idx ON ci (tenant_id, lower(name));

CREATE TABLE ci_relation (
    tenant_id   text NOT NULL,
    source_id   text NOT NULL,
    target_id   text NOT NULL,
    relation    text NOT NULL DEFAULT 'depends_on',
    PRIMARY KEY (tenant_id, source_id, target_id, relation),
    FOREIGN KEY (tenant_id, source_id) REFERENCES ci (tenant_id, id),
    FOREIGN KEY (tenant_id, target_id) REFERENCES ci (tenant_id, id)
);
CREATE INDEX ci_relation_target_idx ON ci_relation (tenant_id, target_id);

CREATE TABLE metric_sample (
    tenant_id   text NOT NULL,
    ci_id       text NOT NULL,
    metric      text NOT NULL,
    ts          timestamptz NOT NULL,
    value       double precision NOT NULL,
    PRIMARY KEY (tenant_id, ci_id, metric, ts)
);
CREATE INDEX metric_sample_metric_ts_idx ON metric_sample (tenant_id, metric, ts);

CREATE TABLE metric_rollup (
    tenant_id   text NOT NULL,
    ci_id       text NOT NULL,
    metric      text NOT NULL,
    bucket      timestamptz NOT NULL,
    avg         double precision NOT NULL,
    min         double precision NOT NULL,
    max         double precision NOT NULL,
    count       integer NOT NULL,
    PRIMARY KEY (tenant_id, ci_id, metric, bucket)
);

CREATE TABLE event (
    tenant_id   text NOT NULL,
    id          text NOT NULL,
    ci_id       text,
    ts          timestamptz NOT NULL,
    kind        text NOT NULL,
    severity    text NOT NULL DEFAULT 'info',
    message     text NOT NULL DEFAULT '',
    payload     jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX event_ts_idx ON event (tenant_id, ts);
CREATE INDEX event_ci_ts_idx ON event (tenant_id, ci_id, ts);

-- Last known topology per tenant: what topology_snapshot_fallback serves.
CREATE TABLE topology_snapshot (
    tenant_id   text NOT NULL,
    taken_at    timestamptz NOT NULL,
    edges       jsonb NOT NULL,
    PRIMARY KEY (tenant_id, taken_at)
);

-- Claim check: tool results too large for workflow history.
CREATE TABLE tool_result_claim (
    tenant_id   text NOT NULL,
    id          uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    payload     jsonb NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Observed tool behaviour feeding the capability registry (not tenant data).
CREATE TABLE tool_stats (
    tool        text PRIMARY KEY,
    calls       bigint NOT NULL DEFAULT 0,
    failures    bigint NOT NULL DEFAULT 0,
    ewma_ms     double precision NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Ground truth of generated incidents, for tests and evaluation. Never granted to tools.
CREATE TABLE seed_incident (
    tenant_id   text NOT NULL,
    id          text NOT NULL,
    kind        text NOT NULL,
    root_ci     text NOT NULL,
    affected    jsonb NOT NULL,
    start_ts    timestamptz NOT NULL,
    end_ts      timestamptz NOT NULL,
    question    text NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
