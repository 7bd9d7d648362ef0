"""The HTTP API and the answer pages (``python client.py serve``)."""

from opsflow_app.api.app import create_app

__all__ = ["create_app"]
