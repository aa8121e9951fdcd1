-- wrk script: a rush of buyers (crash_sim/costs.py). Once the threads together have answers for
-- every buyer, the thread that sees it prints "rush done"; costs.py then interrupts wrk, whose
-- main thread would otherwise sleep out its whole duration, and done() prints the rush's totals.
-- Each thread has one connection (costs.py runs as many threads as connections), so its answers
-- come in the order of its requests, and each answer's latency is known with its outcome:
-- wrk's own percentiles mix the winners with the refused.
-- args: the buyers, the threads.
local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } rush_timespec;
int clock_gettime(int clock, rush_timespec *now);
void *calloc(size_t count, size_t size);
]])
local CLOCK_MONOTONIC = 1

local function now()
  local t = ffi.new("rush_timespec")
  ffi.C.clock_gettime(CLOCK_MONOTONIC, t)
  return tonumber(t.tv_sec) + tonumber(t.tv_nsec) / 1e9
end

-- One count of answers per thread, in memory all the threads share: each writes only its own
-- slot and reads the others', so no count is ever lost to a race, and a sum read a little
-- early only ends the rush one answer later. Never freed: wrk exits after the rush.
local threads, shared = {}, nil

function setup(thread)
  table.insert(threads, thread)
  shared = shared or ffi.C.calloc(4096, ffi.sizeof("int64_t"))
  thread:set("shared_at", tonumber(ffi.cast("uintptr_t", shared)))
  thread:set("slot", #threads - 1)
end

function init(args)
  buyers, thread_count = tonumber(args[1]), tonumber(args[2])
  counts = ffi.cast("volatile int64_t *", shared_at)
  answered, won, started, finished, sent, won_ms, refused_ms = 0, 0, now(), 0, 0, {}, {}
end

function request()
  sent = now()
  return wrk.format()
end

local function all_answered()
  local total = 0
  for i = 0, thread_count - 1 do
    total = total + tonumber(counts[i])
  end
  return total
end

function response(status, headers, body)
  local ms = (now() - sent) * 1000
  answered = answered + 1
  counts[slot] = answered
  if status == 200 then
    won = won + 1
    table.insert(won_ms, ms)
  elseif status == 409 then
    table.insert(refused_ms, ms)
  end
  if finished == 0 and all_answered() >= buyers then
    finished = now()
    io.write("rush done\n")
    io.flush()
    wrk.thread:stop()
  end
end

local function percentile(sorted, p)
  if #sorted == 0 then
    return 0
  end
  return sorted[math.max(1, math.ceil(p / 100 * #sorted))]
end

function done(summary, latency, requests)
  local first, last, total, wins, won_all, refused_all = math.huge, 0, 0, 0, {}, {}
  for _, thread in ipairs(threads) do
    first = math.min(first, thread:get("started"))
    last = math.max(last, thread:get("finished"))
    total = total + thread:get("answered")
    wins = wins + thread:get("won")
    for _, ms in ipairs(thread:get("won_ms")) do
      table.insert(won_all, ms)
    end
    for _, ms in ipairs(thread:get("refused_ms")) do
      table.insert(refused_all, ms)
    end
  end
  table.sort(won_all)
  table.sort(refused_all)
  io.write(string.format("rush: %d answered, %d bought, in %.3f s\n", total, wins, last - first))
  io.write(string.format(
    "latency ms: won p50 %.1f p99 %.1f, refused p50 %.1f p99 %.1f\n",
    percentile(won_all, 50), percentile(won_all, 99), percentile(refused_all, 50), percentile(refused_all, 99)
  ))
end
