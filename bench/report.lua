-- wrk reporter: one JSON line with throughput, latency percentiles and errors (bench/run.py reads it).
-- Optional: `wrk ... -s report.lua -- mix <csrf> <stamp> <product-id> <path>...` for the mixed load.
local mode, csrf, stamp, product = nil, nil, nil, nil
local paths = {}
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  if mode == "mix" then
    csrf, stamp, product = args[2], args[3], args[4]
    for i = 5, #args do paths[#paths + 1] = args[i] end
  end
  math.randomseed(os.time() + (tid or 0) * 7919)
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  if mode ~= "mix" then return wrk.request() end
  counter = counter + 1
  if counter % 10 == 0 then
    -- One request in ten submits an inquiry, each with a form token of its own (a new row every time).
    local token = string.format("bench-%d-%d-%d", tid or 0, counter, math.random(1, 1e9))
    local body = "csrf_token=" .. urlencode(csrf) .. "&started=" .. urlencode(stamp) ..
      "&form_token=" .. token .. "&acknowledged=1&company=PT+Beban+Uji&buyer_type=hotel" ..
      "&contact_name=Penguji+Beban&email=beban%40contoh.id&phone=081234567890&quantity=100&unit=kg" ..
      "&frequency=monthly&delivery_city=jakarta-pusat&message=uji&website="
    -- wrk.format does not merge wrk.headers (the -H session cookie) into a table passed to it: copy them.
    local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    return wrk.format("POST", "/inquiries/new?product=" .. product, headers, body)
  end
  return wrk.format("GET", paths[math.random(1, #paths)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
