"""Pinned upstreams: fetch (hash-verified), extract, patch, and rebase patch series."""
