"""The public-exposure audit's engine-independent parts: the scan and the per-object fix."""
