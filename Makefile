# Tollgate — the two commands (see README.md). Both install what a fresh Debian machine lacks.
.PHONY: run test bench lighthouse

run:
	@scripts/run.sh

test:
	@scripts/test.sh

# Benchmarks P1–P4 and P7 against pgbench and psql (goals: docs/BENCHMARKS.md); prints figures, writes bench/results/latest.md. See bench/run.sh.
bench:
	@bench/run.sh

# Lighthouse scores (mobile and desktop) of the dashboard pages as the demo user and of /login; prints figures, writes bench/results/lighthouse.md. See scripts/lighthouse.sh.
lighthouse:
	@scripts/lighthouse.sh
