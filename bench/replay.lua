-- Replays pre-recorded, signed Twilio webhook requests, one line each:
-- path<TAB>signature<TAB>form body. Each wrk thread starts at its own offset
-- so the threads walk different calls.
local requests = {}
local counter = 0
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
end
