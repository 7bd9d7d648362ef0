"""The HTTP API and the answer pages (``python client.py serve``)."""

from opsflow.api.app import create_app

__all__ = ["create_app"]
