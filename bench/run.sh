#!/usr/bin/env bash
# `make bench`: the benchmarks of docs/BENCHMARKS.md ("The goals"), each against pgbench running the same SQL on the same
# machine. Prints figures and ratios — it never fails on a time — and writes them, with the machine, to
# bench/results/latest.md (ready to paste into docs/BENCHMARKS.md).
#
#   P1  POST /v1/requests, 64 connections on one hot wallet and spread over 1,000 wallets (wrk), vs pgbench
#       of the naive one-call-per-transaction SQL (debit + ledger + request + rollup) at 1, 8 and 64 clients
#   P2  GET /dashboard/wallet of the 1M-call account (wrk, 8 connections) vs pgbench of the page's queries;
#       then again with the server's page cache off (TOLLGATE_PAGE_CACHE=false: every load renders)
#   P3  GET /v1/usage for 90 days: the smallest vs the largest account (sequential requests)
#   P7  "Export CSV" of a year of the 1M-call account vs psql \copy of the same rows, and the server's peak memory
#   P4  the release bundle that makes a page live: target/site/pkg/*.wasm + *.js (the islands) and
#       enhance.js (in-place links and forms), raw and gzip -9
#   P8  the gateway (POST /gateway/openai/v1/chat/completions, 64 connections, one hot wallet and then
#       1,000 wallets) vs the same fake provider called directly (bench/provider.py, answering after
#       BENCH_P8_THINK_MS like a model), with every call's hold and capture checked
#
# In order: tools (wrk), the release build (incremental), the private `bench` PostgreSQL cluster, a fresh
# database, the server on a free port, sign-ups, the generator (bench/sql), P1–P4, clean-up. The bench
# cluster is stopped at the end, also on failure or Ctrl-C.
#
# Settings (environment):
#   BENCH_SIZES="10000 1000000 10000000"  calls per history account (one account each)
#   BENCH_SECONDS=20                      length of each wrk / pgbench run
#   BENCH_P1_CONNECTIONS=64               wrk connections and pgbench clients for P1
#   BENCH_P1_NAIVE_CLIENTS="1 8 64"       pgbench client counts for the naive SQL on the hot wallet
#   BENCH_SPREAD_WALLETS=1000             wallets of the spread runs
#   BENCH_P2_CONNECTIONS=8                wrk connections and pgbench clients for P2
#   BENCH_P3_REQUESTS=200                 sequential requests per P3 account (after 20 warm-up ones)
#   BENCH_SERVER_POOL=$BENCH_P1_CONNECTIONS  the server's database pool (TOLLGATE_DB_MAX_CONNECTIONS)
#   BENCH_BUILD=1                         0: use the server binary and site as they are (no build_site)
#   BENCH_PG_TUNE=1                       0: the bench cluster with PostgreSQL's default settings
#   BENCH_VERIFY=1                        0: skip the invariant checks (they scan every generated row)
#   BENCH_CHUNK=1000000                   calls per generator INSERT
#   BENCH_PARTS="P1 P2 P3 P4 P7 P8"       which benchmarks to run (the data is loaded either way)
#   BENCH_P8_THINK_MS=50                  how long the fake provider takes to answer a call in P8
#   BENCH_METER_LANES                     the server's TOLLGATE_METER_LANES (default: the server's own)
#   BENCH_SERVERS=2                       P1 again with this many servers on the one database, each behind
#                                         its own wrk with an equal share of the connections (1: skip)
set -euo pipefail
bench_dir=$(cd "$(dirname "$0")" && pwd)
# site-env.sh: $project, $server_bin, LEPTOS_SITE_ROOT & co., build_site.
source "$bench_dir/../scripts/site-env.sh"
cd "$project"

sizes=(${BENCH_SIZES:-10000 1000000 10000000})
run_seconds=${BENCH_SECONDS:-20}
p1_connections=${BENCH_P1_CONNECTIONS:-64}
p1_naive_clients=(${BENCH_P1_NAIVE_CLIENTS:-1 8 ${p1_connections}})
spread_wallets=${BENCH_SPREAD_WALLETS:-1000}
p2_connections=${BENCH_P2_CONNECTIONS:-8}
p3_requests=${BENCH_P3_REQUESTS:-200}
# The server's database pool: as many connections as pgbench has clients in P1, so both may have as many
# transactions in flight (the app's default is 20).
server_pool=${BENCH_SERVER_POOL:-$p1_connections}
parts=" ${BENCH_PARTS:-P1 P2 P3 P4 P7 P8} "
servers=${BENCH_SERVERS:-2}
runs() { [[ "$parts" == *" $1 "* ]]; } # whether benchmark $1 is part of this run
password=bench-password-1
results="$bench_dir/results"
report="$results/latest.md"

elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; } # seconds since $1
say() { printf '\033[1m[bench]\033[0m %s\n' "$*"; }
die() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; exit 1; }

mkdir -p "$results"
# One run at a time: a second one would drop the first one's database under it.
exec 9>"$results/.lock"
flock -n 9 || die "another bench run is in progress"
work=$(mktemp -d)
# This run's files only (latest.md is overwritten at the end).
rm -f "$results"/{wrk.log,pgbench.log,server.log,provider.log,p2-statements.txt} "$results"/explain-p3-*.txt
server_pid=""
extra_pids=() # P1's additional servers (BENCH_SERVERS)
provider_pid="" # P8's fake provider
cleanup() {
  for pid in "$server_pid" "${extra_pids[@]}" "$provider_pid"; do
    [[ -n "$pid" ]] || continue
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  scripts/pg.sh stop bench || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------- tools
if ! command -v wrk >/dev/null; then
  [[ $(id -u) -eq 0 ]] || die "please install wrk (apt-get install wrk)"
  say "apt-get install wrk"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
scripts/tools.sh build
# pgbench and psql of the same PostgreSQL as the cluster (pg.sh looks in the same places).
pg_bin=$(pg_config --bindir 2>/dev/null || true)
if [[ -z "$pg_bin" || ! -x "$pg_bin/pgbench" ]]; then
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[[ -x "$pg_bin/pgbench" && -x "$pg_bin/psql" ]] || die "pgbench/psql not found (apt-get install postgresql)"

if [[ "${BENCH_BUILD:-1}" != 0 ]]; then
  say "release build (incremental: nothing rebuilt without a change)"
  build_site
fi
[[ -x "$server_bin" ]] || die "no server binary at $server_bin (run with BENCH_BUILD=1)"

# ----------------------------------------------------------------------------------------- PostgreSQL
scripts/pg.sh start bench
admin_url=$(scripts/pg.sh url bench postgres)
admin() { "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 "$admin_url" "$@"; }
# Settings for a machine with this much data, the same for the server and for pgbench. Durability stays
# as shipped (fsync, synchronous_commit on): P1 is about the cost of a commit.
admin -c "ALTER SYSTEM RESET log_min_duration_statement"
if [[ "${BENCH_PG_TUNE:-1}" != 0 ]]; then
  admin -c "ALTER SYSTEM SET shared_buffers = '1GB'" -c "ALTER SYSTEM SET max_wal_size = '8GB'" \
    -c "ALTER SYSTEM SET checkpoint_timeout = '30min'" -c "ALTER SYSTEM SET max_connections = 200"
else
  admin -c "ALTER SYSTEM RESET ALL"
fi
admin -c "SELECT pg_reload_conf()" >/dev/null
if [[ $(admin -Atc "SELECT count(*) FROM pg_settings WHERE pending_restart") != 0 ]]; then
  say "restarting the bench cluster for its new settings"
  scripts/pg.sh stop bench
  scripts/pg.sh start bench
fi
DATABASE_URL=$(scripts/pg.sh fresh bench tollgate_bench 2> >(grep -v 'NOTICE' >&2))
export DATABASE_URL
sql() { "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }
pg_log="$(dirname "$(scripts/pg.sh where bench)")/postgres.log"

# ---------------------------------------------------------------------------------------------- server
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
free_port() { # a free port other than the main server's (once it has one)
  local candidate
  for _ in $(seq 100); do
    candidate=$((40000 + RANDOM % 20000))
    if [[ "$candidate" != "$port" ]] && ! port_in_use "$candidate"; then echo "$candidate"; return; fi
  done
  die "no free port found"
}
port=$(free_port) || exit 1
base="http://127.0.0.1:$port"
say "server on $base (migrations run at start-up; log in $results/server.log)"
# start_server [NAME=VALUE…]: the server with the bench's settings plus these (P2 runs it again without
# its page cache); waits for /healthz.
start_server() {
  launch_server "$port" "$@"
  server_pid=$launched_pid
}
# launch_server PORT [NAME=VALUE…]: one server on PORT, waited for (sets launched_pid).
launch_server() {
  local at=$1 base_at="http://127.0.0.1:$1"
  shift
  env "$@" LEPTOS_SITE_ADDR="127.0.0.1:$at" RUST_LOG=warn TOLLGATE_SEED_DEMO=false TOLLGATE_PROCESSOR=sandbox \
    TOLLGATE_DB_MAX_CONNECTIONS=$server_pool ${BENCH_METER_LANES:+TOLLGATE_METER_LANES=$BENCH_METER_LANES} "$server_bin" >>"$results/server.log" 2>&1 &
  launched_pid=$!
  for _ in $(seq 120); do
    if curl -sf -o /dev/null "$base_at/healthz"; then break; fi
    kill -0 "$launched_pid" 2>/dev/null || { tail -n 20 "$results/server.log" >&2; die "the server stopped"; }
    sleep 0.5
  done
  curl -sf -o /dev/null "$base_at/healthz" || die "the server on $base_at did not answer /healthz within 60 s"
}
stop_server() { kill -TERM "$server_pid" && wait "$server_pid" 2>/dev/null || true; server_pid=""; }
start_server
server_alive() { kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$results/server.log" >&2; die "the server stopped"; }; }

# ------------------------------------------------------------------------------------------- the data
sql -f "$bench_dir/sql/setup.sql"
# Users sign up through the server, so their password hashes are the server's own (argon2).
sorted_sizes=($(printf '%s\n' "${sizes[@]}" | sort -nu))
for n in "${sorted_sizes[@]}"; do
  status=$(curl -s -o "$work/signup.out" -w '%{http_code}' -X POST "$base/api/signup" -H "Origin: $base" \
    -H 'Accept: text/html' --data-urlencode "email=bench-$n@example.test" \
    --data-urlencode "password=$password" --data-urlencode next=)
  [[ "$status" == 302 ]] || die "sign-up of bench-$n@example.test answered $status: $(head -c 300 "$work/signup.out")"
done
for n in "${sorted_sizes[@]}"; do
  say "generating a year of history: $n calls (bench-$n@example.test)"
  start=$(date +%s.%N)
  sql -v label="hist-$n" -v email="bench-$n@example.test" -v n="$n" ${BENCH_CHUNK:+-v chunk="$BENCH_CHUNK"} \
    -f "$bench_dir/sql/history.sql"
  say "        $(elapsed "$start") s"
done
say "P1 wallets: 1 hot + $spread_wallets spread"
sql -v spread="$spread_wallets" -v hash_from="bench-${sorted_sizes[0]}@example.test" -f "$bench_dir/sql/pool.sql"
say "VACUUM ANALYZE, CHECKPOINT"
start=$(date +%s.%N)
sql -c "VACUUM (ANALYZE)"
sql -c "INSERT INTO bench.timings (label, step, seconds) VALUES ('all', 'VACUUM (ANALYZE)', $(elapsed "$start"))"
sql -c "CHECKPOINT"
verify_files=()
verify() { # $1: when, $2: scope (all, or p1 for the P1 wallets only)
  [[ "${BENCH_VERIFY:-1}" != 0 ]] || return 0
  verify_files+=("$work/verify-$1.txt")
  say "invariants ($1): balance = Σ ledger, rollups = Σ requests, paid calls ↔ ledger, seq follows time"
  local start
  start=$(date +%s.%N)
  sql -v scope="$2" -f "$bench_dir/sql/verify.sql" | tee "$work/verify-$1.txt"
  sql -c "INSERT INTO bench.timings (label, step, seconds) VALUES ('all', 'verify ($1)', $(elapsed "$start"))"
}
verify "after generation" all
server_alive

# ------------------------------------------------------------------------------------------- helpers
# Nearest-rank percentile $2 of the numbers in file $1.
pct() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int(p / 100 * NR); if (i < p / 100 * NR) i++; if (i < 1) i = 1; printf "%.2f", v[i] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
rows=() # result rows: "test|what|concurrency|per second|p50 ms|p99 ms|note"
row() { rows+=("$1"); printf '        %s\n' "$1"; }

# wrk_field NAME FILE: the field NAME of each "WRK …" summary line in FILE (bench/wrk/summary.lua), one a line.
wrk_field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$2"; }

# wrk for $run_seconds; sets w_rps, w_p50, w_p99, w_non2xx, w_errors.
wrk_run() {
  local out
  server_alive
  out=$(BENCH_WRK_DIR="$bench_dir/wrk" wrk -t1 -d"${run_seconds}s" --timeout 10s "$@" 2>&1) || true
  echo "$out" >>"$results/wrk.log"
  grep '^WRK ' <<<"$out" >"$work/wrk.lines" || { echo "$out" >&2; die "wrk failed"; }
  w_rps=$(wrk_field rps "$work/wrk.lines")
  w_p50=$(wrk_field p50_ms "$work/wrk.lines")
  w_p99=$(wrk_field p99_ms "$work/wrk.lines")
  w_non2xx=$(wrk_field non2xx "$work/wrk.lines")
  w_errors=$(wrk_field socket_errors "$work/wrk.lines")
}

# wrk_servers SCRIPT KEYS URL…: one wrk per server URL at once, the P1 connections shared equally, for
# $run_seconds; sets w_rps (the sum), w_p50 and w_p99 (the largest of the servers'), w_non2xx, w_errors (sums).
wrk_servers() {
  local script=$1 keys=$2
  shift 2
  local per=$((p1_connections / $#)) i=0 url pid pids=()
  for url in "$@"; do
    BENCH_KEYS="$keys" BENCH_WRK_DIR="$bench_dir/wrk" wrk -t1 -c"$per" -d"${run_seconds}s" --timeout 10s -s "$script" "$url" \
      >"$work/wrk-$i.out" 2>&1 &
    pids+=($!)
    i=$((i + 1))
  done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  cat "$work"/wrk-*.out >>"$results/wrk.log"
  grep -h '^WRK ' "$work"/wrk-*.out >"$work/wrk.lines" || die "wrk failed on a server"
  [[ $(wc -l <"$work/wrk.lines") == "$#" ]] || die "wrk failed on a server"
  w_rps=$(wrk_field rps "$work/wrk.lines" | awk '{ s += $1 } END { printf "%.1f", s }')
  w_p50=$(wrk_field p50_ms "$work/wrk.lines" | sort -n | tail -n 1)
  w_p99=$(wrk_field p99_ms "$work/wrk.lines" | sort -n | tail -n 1)
  w_non2xx=$(wrk_field non2xx "$work/wrk.lines" | awk '{ s += $1 } END { print s }')
  w_errors=$(wrk_field socket_errors "$work/wrk.lines" | awk '{ s += $1 } END { print s }')
  rm -f "$work"/wrk-*.out
}

# Two seconds of the same load, not recorded: the server's pool opens its connections, statements get
# prepared, a wallet's charging task starts.
wrk_warmup() { BENCH_WRK_DIR="$bench_dir/wrk" wrk -t1 -d2s --timeout 10s "$@" >/dev/null 2>&1 || true; }

# pgbench -c $1 for $run_seconds with the script $2 and -D variables after; sets b_tps, b_p50, b_p99,
# b_failed. Latency percentiles come from the per-transaction log (-l): its 3rd column, in µs.
pgbench_run() {
  local clients=$1 script=$2
  shift 2
  local vars=() v
  for v in "$@"; do vars+=(-D "$v"); done
  rm -f "$work"/pgb*
  local out
  out=$("$pg_bin/pgbench" -n -M prepared -c "$clients" -j $((clients < 2 ? clients : 2)) -T "$run_seconds" \
    "${vars[@]}" -f "$script" -l --log-prefix="$work/pgb" "$DATABASE_URL" 2>&1) || true
  echo "$out" >>"$results/pgbench.log"
  b_tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out")
  [[ -n "$b_tps" ]] || { echo "$out" >&2; die "pgbench failed"; }
  b_tps=$(printf '%.1f' "$b_tps")
  b_count=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
  b_failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out")
  if grep -q 'aborted' <<<"$out"; then b_failed="${b_failed:-0} (client aborted)"; fi
  cat "$work"/pgb.* | awk '{ print $3 / 1000 }' >"$work/latencies"
  b_p50=$(pct "$work/latencies" 50)
  b_p99=$(pct "$work/latencies" 99)
}

# session_of N: a session cookie of bench-N@example.test, logged in through the real login form.
session_of() {
  local got
  got=$(curl -s -D - -o /dev/null -X POST "$base/api/login" -H "Origin: $base" -H 'Accept: text/html' \
    --data-urlencode "email=bench-$1@example.test" --data-urlencode "password=$password" --data-urlencode next= |
    tr -d '\r' | sed -n 's/^set-cookie: tollgate_session=\([^;]*\).*/\1/Ip')
  [[ -n "$got" ]] || die "logging in as bench-$1@example.test gave no session cookie"
  echo "$got"
}
# The 1M-call account, or the largest one when BENCH_SIZES has no 1000000 (P2 and P7 use it).
million_n=${sorted_sizes[-1]}
for n in "${sorted_sizes[@]}"; do if [[ "$n" == 1000000 ]]; then million_n=$n; fi; done

calls_of() { sql -Atc "SELECT count(*) FROM requests r JOIN bench.accounts a USING (account_id) WHERE a.n BETWEEN $1 AND $2"; }
checkpoint() { sql -c "CHECKPOINT"; } # each measured run starts without the previous one's dirty pages

# CPU time per call, which moves far less from run to run than throughput does on a shared machine.
# cpu_mark PID…: remembers the clock ticks used so far by the bench cluster's PostgreSQL processes and by
# PID… (the servers); cpu_per_call N: sets cpu_pg_us and cpu_srv_us, each one's CPU µs per call over the
# N calls made since the mark.
pg_postmaster=$(head -n 1 "$(scripts/pg.sh where bench)/postmaster.pid")
ticks_of() { local t=0 pid; for pid in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
# The postmaster's own ticks include those of its children that have ended (pgbench's backends end with it).
cpu_pg_ticks() {
  echo $(($(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pg_postmaster/stat") + $(ticks_of $(pgrep -P "$pg_postmaster"))))
}
cpu_mark() { cpu_pids=("$@"); cpu_pg0=$(cpu_pg_ticks); cpu_srv0=$(ticks_of "${cpu_pids[@]}"); }
# us_per_call TICKS N: clock ticks spread over N calls, in µs each.
us_per_call() { awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (n > 0) printf "%.0f", t * 1e6 / hz / n; else print "n/a" }'; }
cpu_per_call() {
  cpu_pg_us=$(us_per_call $(($(cpu_pg_ticks) - cpu_pg0)) "$1")
  cpu_srv_us=$(us_per_call $(($(ticks_of "${cpu_pids[@]}") - cpu_srv0)) "$1")
}

# ------------------------------------------------------------------------------------------------- P1
if runs P1; then
say "P1: POST /v1/requests vs the naive SQL, ${run_seconds} s per run"
sql -Atc "SELECT secret FROM bench.accounts WHERE n = 0" >"$work/hot.keys"
sql -Atc "SELECT secret FROM bench.accounts WHERE n BETWEEN 1 AND $spread_wallets ORDER BY n" >"$work/spread.keys"

BENCH_KEYS="$work/hot.keys" wrk_warmup -c"$p1_connections" -s "$bench_dir/wrk/post_request.lua" "$base"
checkpoint
before=$(calls_of 0 0)
cpu_mark "$server_pid"
BENCH_KEYS="$work/hot.keys" wrk_run -c"$p1_connections" -s "$bench_dir/wrk/post_request.lua" "$base"
written=$(($(calls_of 0 0) - before))
cpu_per_call "$written"
p1_hot_server=$w_rps p1_hot_pg_us=$cpu_pg_us p1_hot_srv_us=$cpu_srv_us
row "P1|server POST /v1/requests, hot wallet|$p1_connections|$w_rps|$w_p50|$w_p99|non-2xx $w_non2xx, socket errors $w_errors, rows written $written; CPU per call: PostgreSQL $cpu_pg_us µs, server $cpu_srv_us µs"
p1_hot_naive_best=0
for clients in "${p1_naive_clients[@]}"; do
  checkpoint
  cpu_mark
  pgbench_run "$clients" "$bench_dir/pgbench/p1_naive_call.sql" lo=0 hi=0
  cpu_per_call "${b_count:-0}"
  if [[ -z "${p1_naive_pg_us:-}" ]]; then p1_naive_pg_us=$cpu_pg_us p1_naive_pg_clients=$clients; fi
  row "P1|pgbench naive SQL, hot wallet|$clients|$b_tps|$b_p50|$b_p99|failed ${b_failed:-0}; PostgreSQL CPU per call $cpu_pg_us µs"
  if [[ "$clients" == "$p1_connections" ]]; then p1_hot_naive=$b_tps; fi
  p1_hot_naive_best=$(awk -v a="$b_tps" -v b="$p1_hot_naive_best" 'BEGIN { print (a > b) ? a : b }')
done
if [[ -z "${p1_hot_naive:-}" ]]; then
  checkpoint
  pgbench_run "$p1_connections" "$bench_dir/pgbench/p1_naive_call.sql" lo=0 hi=0
  p1_hot_naive=$b_tps
  row "P1|pgbench naive SQL, hot wallet|$p1_connections|$b_tps|$b_p50|$b_p99|failed ${b_failed:-0}"
fi

BENCH_KEYS="$work/spread.keys" wrk_warmup -c"$p1_connections" -s "$bench_dir/wrk/post_request.lua" "$base"
checkpoint
before=$(calls_of 1 "$spread_wallets")
cpu_mark "$server_pid"
BENCH_KEYS="$work/spread.keys" wrk_run -c"$p1_connections" -s "$bench_dir/wrk/post_request.lua" "$base"
written=$(($(calls_of 1 "$spread_wallets") - before))
cpu_per_call "$written"
p1_spread_server=$w_rps p1_spread_pg_us=$cpu_pg_us p1_spread_srv_us=$cpu_srv_us
row "P1|server POST /v1/requests, $spread_wallets wallets|$p1_connections|$w_rps|$w_p50|$w_p99|non-2xx $w_non2xx, socket errors $w_errors, rows written $written; CPU per call: PostgreSQL $cpu_pg_us µs, server $cpu_srv_us µs"
checkpoint
cpu_mark
pgbench_run "$p1_connections" "$bench_dir/pgbench/p1_naive_call.sql" lo=1 hi="$spread_wallets"
cpu_per_call "${b_count:-0}"
p1_spread_naive=$b_tps p1_spread_naive_pg_us=$cpu_pg_us
row "P1|pgbench naive SQL, $spread_wallets wallets|$p1_connections|$b_tps|$b_p50|$b_p99|failed ${b_failed:-0}; PostgreSQL CPU per call $cpu_pg_us µs"
if (( servers > 1 )); then
  say "P1 again on $servers servers sharing the database (one wrk each, $((p1_connections / servers)) connections each)"
  urls=("$base")
  for _ in $(seq 2 "$servers"); do
    extra_port=$(free_port) || exit 1
    launch_server "$extra_port"
    extra_pids+=("$launched_pid")
    urls+=("http://127.0.0.1:$extra_port")
  done
  for target in hot spread; do
    if [[ "$target" == hot ]]; then range=(0 0) what="hot wallet"; else range=(1 "$spread_wallets") what="$spread_wallets wallets"; fi
    run_seconds=2 wrk_servers "$bench_dir/wrk/post_request.lua" "$work/$target.keys" "${urls[@]}" # warm-up, not recorded
    checkpoint
    before=$(calls_of "${range[@]}")
    wrk_servers "$bench_dir/wrk/post_request.lua" "$work/$target.keys" "${urls[@]}"
    if [[ "$target" == hot ]]; then p1_hot_servers=$w_rps; else p1_spread_servers=$w_rps; fi
    row "P1|$servers servers POST /v1/requests, $what|$p1_connections|$w_rps|$w_p50|$w_p99|non-2xx $w_non2xx, socket errors $w_errors, rows written $(($(calls_of "${range[@]}") - before))"
  done
  for pid in "${extra_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  extra_pids=()
fi
verify "after P1" p1

fi

# ------------------------------------------------------------------------------------------------- P2
if runs P2; then
p2_n=$million_n
say "P2: GET /dashboard/wallet of the $p2_n-call account, $p2_connections connections"
cookie=$(session_of "$p2_n")
page_status=$(curl -s -o "$work/wallet.html" -w '%{http_code}' -H "Cookie: tollgate_session=$cookie" "$base/dashboard/wallet")
[[ "$page_status" == 200 ]] && grep -q 'Available balance' "$work/wallet.html" ||
  die "GET /dashboard/wallet answered $page_status without the wallet page"
# The whole page, not one with a section in its error state (the saved card is shown once it loads).
grep -q 'Visa •••• 4242' "$work/wallet.html" || die "the wallet page shows no saved card: see $work/wallet.html"
# How many statements one page load sends (pgbench runs each distinct query once): statement logging
# on for one request.
admin -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
log_lines=$(wc -l <"$pg_log")
curl -s -o /dev/null -H "Cookie: tollgate_session=$cookie" "$base/dashboard/wallet"
sleep 0.5
admin -c "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()" >/dev/null
# One line per statement executed (a logged statement's continuation lines are joined to it), counted by text.
tail -n +"$((log_lines + 1))" "$pg_log" |
  awk '/^[0-9][0-9][0-9][0-9]-/ { if (r) print r; r = $0; next } { r = r " " $0 } END { if (r) print r }' |
  grep -E 'LOG:  duration: [0-9.]+ ms  (execute [^:]*|statement): ' |
  sed -E 's/.*(execute [^:]*|statement): //; s/[[:space:]]+/ /g; s/^ //' | cut -c1-110 |
  grep -vE '^(ALTER SYSTEM|SELECT pg_reload_conf)' |
  sort | uniq -c | sort -rn >"$results/p2-statements.txt" || true
page_statements=$(awk '{ n += $1 } END { print n + 0 }' "$results/p2-statements.txt")
# The page's summary query comes from the app's SQL file, its $n parameters as pgbench variables.
p2_script="$work/p2_wallet_page.sql"
while IFS= read -r line; do
  if [[ "$line" == "-- @daily_summary"* ]]; then
    grep -v '^--' core/src/reads/daily_summary.sql |
      sed 's/\$1/:acct::uuid/g; s/\$2/:since::date/g; s/\$3/:until::date/g; s/\$4/:tz::text/g; $ s/$/;/'
  else
    printf '%s\n' "$line"
  fi
done <"$bench_dir/pgbench/p2_wallet_page.sql" >"$p2_script"
p2_script_statements=$(grep -c ';$' "$p2_script")
say "        one page load sent $page_statements statements (the pgbench script: $p2_script_statements); by text in ${results#"$project"/}/p2-statements.txt"
wrk_warmup -c"$p2_connections" -H "Cookie: tollgate_session=$cookie" -H 'Accept: text/html' "$base/dashboard/wallet"

checkpoint
wrk_run -c"$p2_connections" -H "Cookie: tollgate_session=$cookie" -H 'Accept: text/html' -s "$bench_dir/wrk/get.lua" "$base/dashboard/wallet"
p2_server=$w_rps p2_server_p99=$w_p99
row "P2|server GET /dashboard/wallet ($p2_n calls)|$p2_connections|$w_rps|$w_p50|$w_p99|non-2xx $w_non2xx, $page_statements statements per page"
account=$(sql -Atc "SELECT account_id FROM bench.accounts WHERE label = 'hist-$p2_n'")
tz=$(sql -Atc "SELECT timezone FROM accounts WHERE id = '$account'")
# The chart's 30 days, today included, in the account's timezone; and the same days as UTC instants.
chart_until=$(TZ="$tz" date +%F)
chart_since=$(date -d "$chart_until -29 days" +%F)
from=$(sql -Atc "SELECT ('$chart_since'::timestamp AT TIME ZONE '$tz')")
to=$(sql -Atc "SELECT (('$chart_until'::date + 1)::timestamp AT TIME ZONE '$tz')")
checkpoint
pgbench_run "$p2_connections" "$p2_script" sid="$cookie" acct="$account" tz="$tz" \
  since="$chart_since" until="$chart_until" from="$from" to="$to"
p2_naive=$b_tps
row "P2|pgbench page queries ($p2_n calls)|$p2_connections|$b_tps|$b_p50|$b_p99|$p2_script_statements statements per page, failed ${b_failed:-0}"
# What a kept page costs the database (server/src/state/page_cache.rs): the session and the page's fingerprint,
# the app's own SQL file.
p2_kept_script="$work/p2_kept_page.sql"
{
  echo 'SELECT data FROM "tower_sessions"."session" WHERE id = :sid AND expiry_date > now();'
  grep -v '^--' core/src/reads/wallet_page_fingerprint.sql |
    sed 's/\$1/:acct::uuid/g; s/\$2/10/g; s/\$3/(SELECT user_id FROM memberships WHERE account_id = :acct::uuid LIMIT 1)/g; $ s/$/;/'
} >"$p2_kept_script"
checkpoint
pgbench_run "$p2_connections" "$p2_kept_script" sid="$cookie" acct="$account"
p2_kept_naive=$b_tps
row "P2|pgbench kept-page queries ($p2_n calls)|$p2_connections|$b_tps|$b_p50|$b_p99|session + fingerprint, 2 statements per page, failed ${b_failed:-0}"
# The same page with the server's page cache off (server/src/state/page_cache.rs): every load renders it.
say "P2: again with TOLLGATE_PAGE_CACHE=false (every load renders the page)"
stop_server
start_server TOLLGATE_PAGE_CACHE=false
wrk_warmup -c"$p2_connections" -H "Cookie: tollgate_session=$cookie" -H 'Accept: text/html' "$base/dashboard/wallet"
checkpoint
wrk_run -c"$p2_connections" -H "Cookie: tollgate_session=$cookie" -H 'Accept: text/html' -s "$bench_dir/wrk/get.lua" "$base/dashboard/wallet"
p2_uncached=$w_rps p2_uncached_p99=$w_p99
row "P2|server GET /dashboard/wallet ($p2_n calls), page cache off|$p2_connections|$w_rps|$w_p50|$w_p99|non-2xx $w_non2xx, every load rendered (8 statements)"
stop_server
start_server

fi

# ------------------------------------------------------------------------------------------------- P3
if runs P3; then
p3_small=${sorted_sizes[0]} p3_large=${sorted_sizes[-1]}
say "P3: GET /v1/usage, 90 days, $p3_requests sequential requests per account"
declare -A p3_median
for n in $(printf '%s\n' "$p3_small" "$p3_large" | sort -un); do
  read -r secret account < <(sql -Atc "SELECT secret || ' ' || account_id FROM bench.accounts WHERE label = 'hist-$n'" -F ' ')
  tz=$(sql -Atc "SELECT timezone FROM accounts WHERE id = '$account'")
  p3_end=$(TZ="$tz" date +%F)
  p3_start=$(date -d "$p3_end -89 days" +%F)
  url="$base/v1/usage?start=$p3_start&end=$p3_end"
  # One curl, many transfers on one connection: no process start-up in the figures.
  curl_config() { for _ in $(seq "$1"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done; }
  curl_config 20 | curl -s -K - -H "Authorization: Bearer $secret" >/dev/null
  curl_config "$p3_requests" | curl -s -K - -H "Authorization: Bearer $secret" -w '%{http_code} %{time_total}\n' >"$work/p3"
  bad=$(awk '$1 != 200' "$work/p3" | wc -l)
  awk '{ print $2 * 1000 }' "$work/p3" >"$work/p3.ms"
  # The summary query alone, once, in the database: the app's own SQL file (EXPLAIN ANALYZE also goes to
  # results/explain-p3-*.txt). In the account's timezone it reads the daily rows.
  sql -c "PREPARE p3(uuid, date, date, text) AS $(grep -v '^--' core/src/reads/daily_summary.sql)" \
    -c "EXPLAIN (ANALYZE, BUFFERS) EXECUTE p3('$account', '$p3_start', '$p3_end', '$tz')" >"$results/explain-p3-$n.txt"
  db_ms=$(sed -n 's/.*Execution Time: \([0-9.]*\) ms.*/\1/p' "$results/explain-p3-$n.txt")
  daily_rows=$(sql -Atc "SELECT count(*) FROM usage_daily WHERE account_id = '$account' AND day BETWEEN '$p3_start' AND '$p3_end'")
  rollup_rows=$(sql -Atc "SELECT count(*) FROM usage_rollups WHERE account_id = '$account' AND bucket >= ('$p3_start'::date::timestamp AT TIME ZONE '$tz')")
  p3_median[$n]=$(pct "$work/p3.ms" 50)
  row "P3|server GET /v1/usage 90 days ($n calls)|1|$(awk -v m="${p3_median[$n]}" 'BEGIN { printf "%.1f", 1000 / m }')|${p3_median[$n]}|$(pct "$work/p3.ms" 99)|$p3_requests requests, non-200 $bad; query alone ${db_ms} ms over $daily_rows daily rows (the same days hold $rollup_rows 15-minute rows)"
done

fi

# ------------------------------------------------------------------------------------------------- P4
if runs P4; then
say "P4: release bundle in $LEPTOS_SITE_ROOT/pkg, and enhance.js"
p4_gzip=0 p4_raw=0 p4_files=()
shopt -s nullglob
# Every page loads these (charts.js and ECharts load only where a chart is, as before).
for f in "$LEPTOS_SITE_ROOT/pkg/"*.wasm "$LEPTOS_SITE_ROOT/pkg/"*.js "$LEPTOS_SITE_ROOT/enhance.js"; do
  raw=$(stat -c %s "$f") gz=$(gzip -9 -c "$f" | wc -c)
  p4_raw=$((p4_raw + raw)) p4_gzip=$((p4_gzip + gz))
  p4_files+=("$(basename "$f") $raw $gz")
  row "P4|$(basename "$f")||||| $raw bytes raw, $gz gzip -9"
done
shopt -u nullglob
if [[ ${#p4_files[@]} -eq 0 ]]; then
  row "P4|no *.wasm/*.js in $LEPTOS_SITE_ROOT/pkg (site not built)||||| "
elif [[ ! -f "$LEPTOS_SITE_ROOT/.built-from-sources" ]]; then
  # build_site stamps its release builds; without the stamp this may be a debug build's bundle.
  row "P4|warning||||| no build_site stamp in $LEPTOS_SITE_ROOT: maybe not the release build (run with BENCH_BUILD=1)"
fi

fi

# ------------------------------------------------------------------------------------------------- P7
if runs P7; then
say "P7: Export CSV of a year of the $million_n-call account vs psql \\copy of the same rows"
cookie=$(session_of "$million_n")
read -r account tz < <(sql -Atc "SELECT id, timezone FROM accounts WHERE id = (SELECT account_id FROM bench.accounts WHERE label = 'hist-$million_n')" -F ' ')
p7_until=$(TZ="$tz" date +%F)
p7_since=$(date -d "$p7_until -364 days" +%F)
# A fresh server process, so its peak memory (VmHWM) is this export's.
stop_server
start_server
rss_before=$(awk '/^VmRSS/ { print $2 }' "/proc/$server_pid/status")
checkpoint
start=$(date +%s.%N)
p7_status=$(curl -s -o "$work/export.csv" -w '%{http_code}' -H "Cookie: tollgate_session=$cookie" \
  "$base/dashboard/usage/export.csv?since=$p7_since&until=$p7_until")
p7_server_s=$(elapsed "$start")
peak_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$server_pid/status")
[[ "$p7_status" == 200 ]] || die "the export answered $p7_status"
p7_rows=$(grep -c '^request,' "$work/export.csv" || true)
p7_bytes=$(stat -c %s "$work/export.csv")
# The same calls, columns and order, straight out of PostgreSQL: COPY to psql's standard output.
from=$(sql -Atc "SELECT ('$p7_since'::timestamp AT TIME ZONE '$tz')")
to=$(sql -Atc "SELECT (('$p7_until'::date + 1)::timestamp AT TIME ZONE '$tz')")
checkpoint
start=$(date +%s.%N)
# (\copy takes its whole command on one line.)
copy_query="SELECT 'request', (created_at AT TIME ZONE '$tz')::date, id, created_at, service_id, model, status, input_tokens, output_tokens, 1, cost_input, cost_output, cost_fee, cost_total, via FROM requests WHERE account_id = '$account' AND created_at >= '$from' AND created_at < '$to' ORDER BY created_at DESC, seq DESC"
sql -c "\\copy ($copy_query) TO STDOUT CSV" >"$work/copy.csv"
p7_copy_s=$(elapsed "$start")
p7_copy_rows=$(wc -l <"$work/copy.csv")
p7_copy_bytes=$(stat -c %s "$work/copy.csv")
p7_server=$(awk -v r="$p7_rows" -v s="$p7_server_s" 'BEGIN { printf "%.0f", r / s }')
p7_copy=$(awk -v r="$p7_copy_rows" -v s="$p7_copy_s" 'BEGIN { printf "%.0f", r / s }')
p7_peak_mb=$(awk -v k="$peak_kb" 'BEGIN { printf "%.1f", k / 1024 }')
p7_before_mb=$(awk -v k="$rss_before" 'BEGIN { printf "%.1f", k / 1024 }')
row "P7|server Export CSV, a year ($million_n calls)|1|$p7_server rows/s|||$p7_rows call rows, $p7_bytes bytes in ${p7_server_s} s; server RSS $p7_before_mb MB before, peak $p7_peak_mb MB"
row "P7|psql \\copy of the same rows|1|$p7_copy rows/s|||$p7_copy_rows rows, $p7_copy_bytes bytes in ${p7_copy_s} s"
rm -f "$work/export.csv" "$work/copy.csv"
fi

# ------------------------------------------------------------------------------------------------- P8
if runs P8; then
p8_think=${BENCH_P8_THINK_MS:-50}
say "P8: the gateway vs the fake provider called directly, $p1_connections connections, each call answered after $p8_think ms"
provider_port=$(free_port) || exit 1
provider="http://127.0.0.1:$provider_port"
python3 "$bench_dir/provider.py" "$provider_port" "$p8_think" >>"$results/provider.log" 2>&1 &
provider_pid=$!
for _ in $(seq 50); do curl -sf -o /dev/null "$provider/seen" && break; sleep 0.1; done
provider_seen() { curl -sf "$provider/seen" | sed 's/.*"calls": *\([0-9]*\).*/\1/'; }
provider_seen >/dev/null || die "the fake provider did not start: see ${results#"$project"/}/provider.log"
stop_server
start_server TOLLGATE_UPSTREAM_OPENAI_URL="$provider/v1" TOLLGATE_UPSTREAM_OPENAI_KEY=bench-provider-key
# "Hello" with at most 100 tokens back: the provider reports 20 prompt and 10 completion tokens, which cost
# 20 × $0.15 / 1M + 10 × $0.60 / 1M = $0.000009 on gpt-4o-mini.
p8_body='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}],"max_tokens":100}'
p8_call_cost=0.000009
echo bench-provider-key >"$work/provider.keys"
p8_wrk() { # p8_wrk KEYS PATH URL: the chat completion call, $p1_connections connections
  BENCH_KEYS="$1" BENCH_PATH="$2" BENCH_BODY="$p8_body" wrk_warmup -c"$p1_connections" -s "$bench_dir/wrk/post_request.lua" "$3"
  checkpoint
  BENCH_KEYS="$1" BENCH_PATH="$2" BENCH_BODY="$p8_body" wrk_run -c"$p1_connections" -s "$bench_dir/wrk/post_request.lua" "$3"
}
p8_wrk "$work/provider.keys" /v1/chat/completions "$provider"
p8_direct=$w_rps p8_direct_p50=$w_p50 p8_direct_p99=$w_p99
row "P8|fake provider called directly ($p8_think ms a call)|$p1_connections|$w_rps|$w_p50|$w_p99|non-2xx $w_non2xx, socket errors $w_errors"
[[ -s "$work/hot.keys" ]] || sql -Atc "SELECT secret FROM bench.accounts WHERE n = 0" >"$work/hot.keys"
[[ -s "$work/spread.keys" ]] || sql -Atc "SELECT secret FROM bench.accounts WHERE n BETWEEN 1 AND $spread_wallets ORDER BY n" >"$work/spread.keys"
for target in hot spread; do
  if [[ "$target" == hot ]]; then range=(0 0) what="hot wallet"; else range=(1 "$spread_wallets") what="$spread_wallets wallets"; fi
  since=$(sql -Atc "SELECT clock_timestamp()")
  seen_before=$(provider_seen)
  cpu_mark "$server_pid"
  p8_wrk "$work/$target.keys" /gateway/openai/v1/chat/completions "$base"
  # The calls wrk left in flight at its end still run to their capture (a client hanging up stops nothing).
  sleep $(awk -v t="$p8_think" 'BEGIN { printf "%.1f", t / 1000 + 1 }')
  reached=$(($(provider_seen) - seen_before))
  # Every call that reached the provider was held and captured once, at exactly its reported usage, and
  # no hold is left open.
  read -r charged charged_sum captured open < <(sql -At -F ' ' -c "
    WITH p8 AS (SELECT account_id FROM bench.accounts WHERE n BETWEEN ${range[0]} AND ${range[1]})
    SELECT (SELECT count(*) FROM requests WHERE account_id IN (SELECT account_id FROM p8) AND via = 'gateway' AND created_at >= '$since'),
           (SELECT COALESCE(sum(cost_total), 0) FROM requests WHERE account_id IN (SELECT account_id FROM p8) AND via = 'gateway' AND created_at >= '$since'),
           (SELECT count(*) FROM holds WHERE account_id IN (SELECT account_id FROM p8) AND status = 'captured' AND created_at >= '$since'),
           (SELECT count(*) FROM holds WHERE account_id IN (SELECT account_id FROM p8) AND status = 'held')")
  cpu_per_call "$charged"
  exact=$(awk -v n="$charged" -v s="$charged_sum" -v c="$p8_call_cost" -v r="$reached" -v h="$captured" -v o="$open" \
    'BEGIN { print (n == r && h == n && o == 0 && s == n * c) ? "exact" : "NOT exact" }')
  if [[ "$target" == hot ]]; then p8_gateway=$w_rps p8_p50=$w_p50 p8_p99=$w_p99 p8_exact=$exact; else p8_spread=$w_rps p8_spread_p50=$w_p50 p8_spread_p99=$w_p99 p8_spread_exact=$exact; fi
  row "P8|gateway, $what|$p1_connections|$w_rps|$w_p50|$w_p99|non-2xx $w_non2xx, socket errors $w_errors; $reached reached the provider, $charged charged (Σ \$$charged_sum), $captured holds captured, $open open: $exact; CPU per call: PostgreSQL $cpu_pg_us µs, server $cpu_srv_us µs"
done
kill -TERM "$provider_pid" 2>/dev/null || true
wait "$provider_pid" 2>/dev/null || true
provider_pid=""
verify "after P8" p1
fi

# -------------------------------------------------------------------------------------------- report
kb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1000 }'; }
if runs P3; then p3_ratio=$(ratio "${p3_median[$p3_large]}" "${p3_median[$p3_small]}"); fi
server_alive
stop_server

mem_gb=$(awk '/MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)
pg_version=$(sql -Atc "SHOW server_version")
pg_settings=$(sql -Atc "SELECT string_agg(name || '=' || setting || COALESCE(unit, ''), ', ' ORDER BY name) FROM pg_settings
  WHERE name IN ('shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'fsync', 'synchronous_commit', 'max_connections')")
commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- app server migrations 2>/dev/null || echo "+uncommitted")
{
  echo "# Tollgate benchmarks — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) CPUs ($cpu), ${mem_gb} GB RAM, $(uname -sr); PostgreSQL $pg_version"
  echo "($pg_settings); server, PostgreSQL, wrk and pgbench on the same machine. Commit $commit."
  echo "Runs of ${run_seconds} s; sizes: ${sorted_sizes[*]} calls; server DB pool $server_pool connections."
  echo
  echo "## Ratios"
  echo
  echo "| goal | measured |"
  echo "|---|---|"
  if runs P1; then
  echo "| P1 hot wallet: server ≥ 10× naive pgbench's best client count | $(ratio "$p1_hot_server" "$p1_hot_naive_best")× vs its best client count ($p1_hot_server vs $p1_hot_naive_best calls/s); $(ratio "$p1_hot_server" "$p1_hot_naive")× vs pgbench at $p1_connections clients ($p1_hot_naive) |"
  echo "| P1 $spread_wallets wallets: server ≥ 3× naive pgbench | $(ratio "$p1_spread_server" "$p1_spread_naive")× ($p1_spread_server vs $p1_spread_naive calls/s) |"
  echo "| P1 CPU per call (not a goal; within a run it moves less than throughput) | PostgreSQL: hot $p1_hot_pg_us µs, $spread_wallets wallets $p1_spread_pg_us µs, naive SQL $p1_naive_pg_us µs ($p1_naive_pg_clients client(s)) and $p1_spread_naive_pg_us µs ($spread_wallets wallets); server: hot $p1_hot_srv_us µs, $spread_wallets wallets $p1_spread_srv_us µs |"
  if (( servers > 1 )); then
    echo "| P1 on $servers servers, one database (invariants checked after) | hot $p1_hot_servers calls/s ($(ratio "$p1_hot_servers" "$p1_hot_naive_best")× pgbench's best), $spread_wallets wallets $p1_spread_servers calls/s ($(ratio "$p1_spread_servers" "$p1_spread_naive")× naive pgbench) |"
  fi
  fi
  if runs P2; then
  echo "| P2 wallet page ($p2_n calls): server ≥ 0.5× pgbench, p99 < 25 ms — kept page and page cache off | $(ratio "$p2_server" "$p2_naive")× ($p2_server vs $p2_naive pages/s), p99 $p2_server_p99 ms; with the page cache off $(ratio "$p2_uncached" "$p2_naive")× ($p2_uncached pages/s), p99 $p2_uncached_p99 ms; vs pgbench of the 2 statements a kept page sends $(ratio "$p2_server" "$p2_kept_naive")× ($p2_kept_naive) |"
  fi
  if runs P3; then echo "| P3 90-day summary: latency $p3_large / $p3_small calls ≤ 2 | $p3_ratio (median ${p3_median[$p3_large]} vs ${p3_median[$p3_small]} ms) |"; fi
  if runs P7; then echo "| P7 Export CSV, a year ($million_n calls): server ≥ 0.5× psql \\copy, memory flat | $(ratio "$p7_server" "$p7_copy")× ($p7_server vs $p7_copy rows/s); server peak RSS $p7_peak_mb MB (it started at $p7_before_mb MB) |"; fi
  if runs P8; then
  minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
  echo "| P8 gateway: overhead p50 ≤ 1 ms, p99 ≤ 5 ms, throughput ≥ 0.5× direct, every call held and captured exactly | hot wallet: overhead p50 $(minus "$p8_p50" "$p8_direct_p50") ms, p99 $(minus "$p8_p99" "$p8_direct_p99") ms, $(ratio "$p8_gateway" "$p8_direct")× direct ($p8_gateway vs $p8_direct calls/s), $p8_exact; $spread_wallets wallets: overhead p50 $(minus "$p8_spread_p50" "$p8_direct_p50") ms, p99 $(minus "$p8_spread_p99" "$p8_direct_p99") ms, $(ratio "$p8_spread" "$p8_direct")× direct, $p8_spread_exact (provider answering in $p8_think ms) |"
  fi
  if runs P4; then echo "| P4 hydrate bundle gzip ≤ 120 KB | $(kb "$p4_gzip") KB gzip -9 ($(kb "$p4_raw") KB raw; 1 KB = 1000 bytes) |"; fi
  echo
  echo "## Runs"
  echo
  echo "| | run | conc. | per s | p50 ms | p99 ms | notes |"
  echo "|---|---|---|---|---|---|---|"
  for r in "${rows[@]}"; do echo "| ${r//|/ | } |"; done
  echo
  echo "## Data generation"
  echo
  echo "| account | step | rows | seconds |"
  echo "|---|---|---|---|"
  sql -Atc "SELECT label, step, COALESCE(rows::text, ''), seconds FROM bench.timings ORDER BY id" -F '|' | sed 's/|/ | /g; s/^/| /; s/$/ |/'
  if [[ "${BENCH_VERIFY:-1}" != 0 ]]; then
    echo
    echo "## Invariants"
    echo
    for f in "${verify_files[@]}"; do
      echo "$(basename "$f" .txt | sed 's/^verify-//'):"
      echo '```'
      cat "$f"
      echo '```'
    done
  fi
} >"$report"
echo
cat "$report"
echo
say "written to ${report#"$project"/} (wrk and pgbench output: bench/results/wrk.log, pgbench.log)"
