"""Command implementations behind ``client.py`` (one module per concern)."""
