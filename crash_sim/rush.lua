-- wrk script: a rush of buyers (crash_sim/costs.py). Each thread stops once its share of the
-- buyers has an answer and prints "rush done"; costs.py then interrupts wrk, whose main thread
-- would otherwise sleep out its whole duration, and done() prints the rush's totals.
-- args: the buyers per thread.
local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } rush_timespec;
int clock_gettime(int clock, rush_timespec *now);
]])
local CLOCK_MONOTONIC = 1

local function now()
  local t = ffi.new("rush_timespec")
  ffi.C.clock_gettime(CLOCK_MONOTONIC, t)
  return tonumber(t.tv_sec) + tonumber(t.tv_nsec) / 1e9
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  share, answered, won, started, finished = tonumber(args[1]), 0, 0, now(), 0
end

function response(status, headers, body)
  answered = answered + 1
  if status == 200 then
    won = won + 1
  end
  if answered >= share and finished == 0 then
    finished = now()
    io.write("rush done\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local first, last, total, wins = math.huge, 0, 0, 0
  for _, thread in ipairs(threads) do
    first = math.min(first, thread:get("started"))
    last = math.max(last, thread:get("finished"))
    total = total + thread:get("answered")
    wins = wins + thread:get("won")
  end
  io.write(string.format("rush: %d answered, %d bought, in %.3f s\n", total, wins, last - first))
end
