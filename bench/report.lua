-- wrk reporter: one JSON line with throughput, latency percentiles, errors and requests per worker
-- (bench/run.py reads it). Each response's `X-Worker` header (gunicorn.conf.py, GUNICORN_WORKER_HEADER=1)
-- is counted, per wrk thread, then summed in done().
-- Optional: `wrk ... -s report.lua -- mix <forms.tsv> <wrk threads> <product-id> <path>...` for the mixed load:
-- anonymous GETs of the paths (no cookie), and one request in ten an inquiry posted with a form of its own. Each
-- line of forms.tsv is one issued form (session cookie, CSRF token, form token, start stamp, tab-separated);
-- thread t of T posts lines t, t+T, t+2T…,
-- and once they are used up posts them again (the app then answers a double submission: no new row).
local mode, product, nthreads = nil, nil, 1
local forms = {}
local posts = 0
local paths = {}
local counter = 0
local thread_id = 0
local threads = {}
workers = {}
statuses = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  if mode == "mix" then
    for line in io.lines(args[2]) do
      local cookie, csrf, token, stamp = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
      if cookie then forms[#forms + 1] = {cookie, csrf, token, stamp} end
    end
    nthreads, product = tonumber(args[3]), args[4]
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
  if counter % 10 == 0 and #forms > 0 then
    -- One request in ten submits an inquiry with a form issued to it (a new row while the forms last).
    local form = forms[((posts * nthreads + (tid or 1) - 1) % #forms) + 1]
    posts = posts + 1
    local body = "csrf_token=" .. urlencode(form[2]) .. "&started=" .. urlencode(form[4]) ..
      "&form_token=" .. urlencode(form[3]) ..
      "&acknowledged=1&company=PT+Beban+Uji&buyer_type=hotel" ..
      "&contact_name=Penguji+Beban&email=beban%40contoh.id&phone=081234567890&quantity=100&unit=kg" ..
      "&frequency=monthly&delivery_city=jakarta-pusat&message=uji&website="
    -- wrk.format does not merge wrk.headers (-H) into a table passed to it: copy them.
    local headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = form[1]}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    return wrk.format("POST", "/inquiries/new?product=" .. product, headers, body)
  end
  return wrk.format("GET", paths[math.random(1, #paths)])
end

function response(status, headers, body)
  local pid = headers["X-Worker"] or headers["x-worker"] or "none"
  workers[pid] = (workers[pid] or 0) + 1
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local e = summary.errors
  local totals = {}
  for _, thread in ipairs(threads) do
    for pid, n in pairs(thread:get("workers") or {}) do totals[pid] = (totals[pid] or 0) + n end
  end
  local by_status = {}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses") or {}) do by_status[code] = (by_status[code] or 0) + n end
  end
  local parts, codes = {}, {}
  for pid, n in pairs(totals) do parts[#parts + 1] = string.format('"%s": %d', pid, n) end
  for code, n in pairs(by_status) do codes[#codes + 1] = string.format('"%s": %d', code, n) end
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, "workers": {%s}, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ", "),
    table.concat(codes, ", ")))
end
