"""Synthetic tenants for the demo, the tests and the bench: topology, telemetry, incidents.

``generate_tenant`` is pure and deterministic; ``load_dataset``/``seed_all`` write to the
ops database with COPY; ``read_incidents`` returns the ground truth that was loaded.
"""

from opsflow_app.seed.generator import generate_tenant
from opsflow_app.seed.loader import (
    LoadStats,
    database_is_empty,
    default_end,
    delete_tenant_data,
    load_dataset,
    read_incidents,
    seed_all,
)
from opsflow_app.seed.model import (
    SIZES,
    TENANTS,
    Ci,
    Decoy,
    Event,
    Incident,
    Relation,
    Rollup,
    SeedSize,
    Series,
    TenantDataset,
    resolve_size,
)

__all__ = [
    "SIZES",
    "TENANTS",
    "Ci",
    "Decoy",
    "Event",
    "Incident",
    "LoadStats",
    "Relation",
    "Rollup",
    "SeedSize",
    "Series",
    "TenantDataset",
    "database_is_empty",
    "default_end",
    "delete_tenant_data",
    "generate_tenant",
    "load_dataset",
    "read_incidents",
    "resolve_size",
    "seed_all",
]
