-- wrk script: bare DTM two-phase messages, straight to the DTM server. Each connection sends
-- prepare, then submit, of one new gid, then the next. Run it with one connection per thread
-- (-t N -c N), so that every submit follows its own prepare.
-- args: the DTM API path (/api/dtmsvr), the msg as JSON with GID where the gid goes, a gid prefix.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

local api, template, prefix, sent, pending
local headers = {["Content-Type"] = "application/json"}

function init(args)
  api, template, prefix, sent = args[1], args[2], args[3] .. "-" .. id .. "-", 0
end

local function post(operation, gid)
  local body = template:gsub("GID", gid)
  return wrk.format("POST", api .. "/" .. operation, headers, body)
end

function request()
  if pending then
    local gid = pending
    pending = nil
    return post("submit", gid)
  end
  sent = sent + 1
  pending = prefix .. sent
  return post("prepare", pending)
end
