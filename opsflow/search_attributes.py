"""Search attribute keys shared by the client (at start) and the workflow (upsert)."""

from temporalio.common import SearchAttributeKey

TENANT_ID = SearchAttributeKey.for_keyword("TenantId")
OPS_STATUS = SearchAttributeKey.for_keyword("OpsStatus")
