"""The job kinds: one module or package each (see docs/jobs.md)."""
