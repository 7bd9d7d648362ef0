"""OpsFlow's application layer: the CLI, the HTTP API, the codec server, the embedded
stack, the seed and the importer, and the worker and client entry points. It may import
the domain (``opsflow``), ``activities`` and ``workflows``; none of them imports it
(the contracts in pyproject.toml, checked by tests/unit/test_layering.py)."""
