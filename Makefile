# Tollgate — the two commands (see README.md). Both install what a fresh Debian machine lacks.
.PHONY: run test

run:
	@scripts/run.sh

test:
	@scripts/test.sh
