"""Side effects: COS writes, DB writes and task dispatch, one module per area."""
