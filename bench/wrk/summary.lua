-- Shared by the wrk scripts: one machine-readable line that run.sh parses (wrk's own report is printed
-- too). Latencies in milliseconds; `non2xx` counts answers outside 200–399 (e.g. 402 when a wallet is dry).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d seconds=%.3f rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
