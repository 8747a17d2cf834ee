"""Catalog: datasets, their immutable versions (``SLUG@N``), quality reports and cards."""
