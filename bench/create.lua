-- One new complaint per request: a unique reference and Idempotency-Key per thread and call.
local counter = 0

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1] or "bench"
  key = args[2] or ""
end

function request()
  counter = counter + 1
  local ref = string.format("%s-%d-%d", prefix, thread_id, counter)
  local body = string.format(
    '{"kind":"complaint","service":"children","team":"children-assessment",' ..
    '"external_ref":"%s","channel":"web",' ..
    '"received_on":"2019-03-04","nature":"poor-communication",' ..
    '"person":{"name":"Bench Person"}}', ref)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = ref,
  }
  if key ~= "" then headers["Authorization"] = "Bearer " .. key end
  return wrk.format("POST", nil, headers, body)
end
