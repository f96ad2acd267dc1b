-- GET the URL given to wrk (headers such as the session cookie come from -H); report with summary.lua.
dofile((os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/summary.lua")
