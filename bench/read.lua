-- GETs of existing rows: ids drawn from 1..max_id, with the key if one is given.
function init(args)
  path = args[1]
  max_id = tonumber(args[2])
  key = args[3] or ""
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
  local headers = {}
  if key ~= "" then headers["Authorization"] = "Bearer " .. key end
  local target = path
  if string.find(path, "{id}") then
    target = string.gsub(path, "{id}", tostring(math.random(1, max_id)))
  end
  return wrk.format("GET", target, headers)
end
