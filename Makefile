# Tollgate — the two commands (see README.md). Both install what a fresh Debian machine lacks.
.PHONY: run test bench

run:
	@scripts/run.sh

test:
	@scripts/test.sh

# Benchmarks P1–P4 against pgbench (goals: docs/BENCHMARKS.md); prints figures, writes bench/results/latest.md. See bench/run.sh.
bench:
	@bench/run.sh
