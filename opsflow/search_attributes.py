"""Search attribute keys shared by the client (at start) and the workflow (upsert).

Search attribute values are stored in plaintext (no codec): the question is only set
when payloads are not encrypted (see ``question_attribute_allowed``)."""

from temporalio.common import SearchAttributeKey

TENANT_ID = SearchAttributeKey.for_keyword("TenantId")
OPS_STATUS = SearchAttributeKey.for_keyword("OpsStatus")
# Why a run ended without an answer (UNKNOWN_TENANT, UNKNOWN_CI, ...): a COMPLETED run in
# the UI's list is then told apart from an answered one.
OPS_ERROR = SearchAttributeKey.for_keyword("OpsError")
# The question, for the UI's workflow list (a column) and `client.py list`.
OPS_QUESTION = SearchAttributeKey.for_text("OpsQuestion")

# name=type, as the dev server's --search-attribute and `operator search-attribute create`.
REGISTERED = (
    ("TenantId", "Keyword"),
    ("OpsStatus", "Keyword"),
    ("OpsError", "Keyword"),
    ("OpsQuestion", "Text"),
)
