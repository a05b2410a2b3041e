"""Reads: COS results and DB rows as display types, one module per area."""
