"""Shared infrastructure for every Fupin service (no business types live here)."""
