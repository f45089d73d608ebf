-- Replays pre-recorded, signed Twilio webhook requests, one line each:
-- path<TAB>signature<TAB>form body. Each wrk thread walks its own share of
-- the calls, from REPLAY_START (one position per thread, as the previous
-- run's COUNTERS line left them) or from the start of its share.
local requests = {}
counter = 0  -- global: done() reads it through thread:get
local threads = {}

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("REPLAY_FILE")) do
    local path, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    table.insert(requests, wrk.format("POST", path, {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["X-Twilio-Signature"] = signature,
    }, body))
  end
  counter = offset * math.floor(#requests / tonumber(os.getenv("REPLAY_THREADS") or "1"))
  local index = 0
  for position in string.gmatch(os.getenv("REPLAY_START") or "", "%d+") do
    if index == offset then counter = tonumber(position) end
    index = index + 1
  end
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

function done(summary, latency, requests_)
  io.write(string.format("RESULT %d %d %d %d %d %f\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, summary.duration))
  local positions = {}
  for _, thread in ipairs(threads) do
    table.insert(positions, string.format("%d", thread:get("counter")))
  end
  io.write("COUNTERS " .. table.concat(positions, ",") .. "\n")
  -- Latency at every tenth of a percentile, so that slices can be merged.
  local marks = {}
  for i = 1, 1000 do
    table.insert(marks, string.format("%d", latency:percentile(i / 10)))
  end
  io.write("PERMILLES " .. table.concat(marks, ",") .. "\n")
end
