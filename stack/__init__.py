"""The local stack behind `make run` and the tests: Redis launcher, web launcher, orchestration."""
