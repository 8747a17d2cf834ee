-- bench/load.py's script for wrk: a round robin over prebuilt requests, per-second completions
-- (to find stalled seconds) and non-2xx answers, reported as one JSON line by done().
-- The requests come in as arguments: "METHOD|PATH|Header: value|Header: value" each.
local requests, turn = {}, 0
-- globals: done() reads them from each thread with thread:get()
per_second, bad = {}, 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for i, spec in ipairs(args) do
    local parts = {}
    for piece in string.gmatch(spec, "[^|]+") do table.insert(parts, piece) end
    local headers = {}
    for j = 3, #parts do
      local name, value = string.match(parts[j], "^([^:]+):%s*(.*)$")
      headers[name] = value
    end
    requests[i] = wrk.format(parts[1], parts[2], headers)
  end
  -- each thread starts at a different place, so mixed phases stay mixed
  turn = math.random(#requests) - 1
end

function request()
  turn = turn + 1
  return requests[(turn % #requests) + 1]
end

function response(status, headers, body)
  local now = os.time()
  per_second[now] = (per_second[now] or 0) + 1
  if status < 200 or status > 299 then bad = bad + 1 end
end

function done(summary, latency, requests_)
  local seconds, non2xx = {}, 0
  for _, thread in ipairs(threads) do
    non2xx = non2xx + thread:get("bad")
    for second, count in pairs(thread:get("per_second")) do
      seconds[second] = (seconds[second] or 0) + count
    end
  end
  local first, last = nil, nil
  for second, _ in pairs(seconds) do
    if first == nil or second < first then first = second end
    if last == nil or second > last then last = second end
  end
  local counts = {}
  if first ~= nil then
    for second = first, last do table.insert(counts, tostring(seconds[second] or 0)) end
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, ' ..
    '"non2xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, "first_second": %d, "per_second": [%s]}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    latency.mean, non2xx, e.connect, e.read, e.write, e.timeout, first or 0, table.concat(counts, ",")))
end
