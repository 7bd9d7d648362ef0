"""Tenant metric sources (Prometheus): the file model (``model``), PromQL templates
(``promql``), storage (``store``), the HTTP API (``prometheus_api``) and which tools a
tenant gets (``routing``). Nothing is re-exported here: the workflow imports ``routing``
and must not pull the parser or the HTTP client into its sandbox."""
