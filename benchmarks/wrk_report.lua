-- wrk's end-of-run hook: one machine-readable line for benchmarks/run.py (times in microseconds).
-- wrk's own --latency output has no 95th percentile, so the numbers are taken from here.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WSPOLNIE-RESULT requests=%d duration_us=%d p50_us=%.0f p95_us=%.0f p99_us=%.0f "
                         .. "connect=%d read=%d write=%d status=%d timeout=%d\n",
                         summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
                         latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
