-- wrk script for B5: every request posts a distinct transaction to /v1/decide.  Each wrk
-- thread numbers its own transactions (txn ids W<thread>-<n>); customers cycle over 50,000 per
-- thread; event times advance one second per request from 2026-03-01.
local counter = 0
local id = 0
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  id = wrk.thread:get("id") or 0
end

local function timestamp(n)
  local day = math.floor(n / 86400)
  local s = n % 86400
  return string.format("2026-03-%02dT%02d:%02d:%02dZ", 1 + (day % 28), math.floor(s / 3600), math.floor(s / 60) % 60, s % 60)
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"txn_id":"W%d-%d","booked_at":"%s","customer_id":"CW%d-%d","customer_type":"person","customer_name":"Li Wei",' ..
    '"account_id":"A%d","direction":"%s","amount":"%d.%02d","currency":"CNY","channel":"%s","cross_border":"false",' ..
    '"counterparty_id":"X%d","counterparty_name":"Zhang San","counterparty_account":"B%d","counterparty_type":"person",' ..
    '"counterparty_country":"CN","exemption":"","purpose":"goods"}',
    id, counter, timestamp(counter), id, counter % 50000, counter % 50000, (counter % 2 == 0) and "in" or "out",
    1000 + (counter * 7919) % 90000, counter % 100, (counter % 3 == 0) and "cash" or "transfer", counter % 997, counter % 997)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

local non200 = 0
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end

function done(summary, latency, requests)
  -- response() counts live in the threads' states: wrk's summary counts the errors.
  io.write(string.format("non-200 responses: %d\n", summary.errors.status))
end
