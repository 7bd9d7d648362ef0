"""HTML for the answer pages: server-side SVG charts and graphs, no scripts from elsewhere."""
