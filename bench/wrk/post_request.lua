-- POST /v1/requests as agents do: `Authorization: Bearer <spend key>` and a JSON body. The keys are read
-- from the file $BENCH_KEYS (one secret per line): one line = one hot wallet; 1,000 lines = each request
-- picks a key (so a wallet) at random. $BENCH_BODY overrides the call (default: one exa search, $0.005),
-- $BENCH_PATH the path (P8 posts chat completions to the gateway and to the provider behind it).
dofile((os.getenv("BENCH_WRK_DIR") or "bench/wrk") .. "/summary.lua")

local body = os.getenv("BENCH_BODY") or '{"service":"exa","model":"search"}'
local path = os.getenv("BENCH_PATH") or "/v1/requests"
local keys = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  for line in io.lines(os.getenv("BENCH_KEYS")) do
    if #line > 0 then keys[#keys + 1] = line end
  end
  assert(#keys > 0, "no spend keys in $BENCH_KEYS")
  math.randomseed(os.time() * 1000 + (id or 0))
  -- With one key every request is the same: build it once.
  if #keys == 1 then single = wrk.format("POST", path, headers_for(keys[1]), body) end
end

function headers_for(key)
  return { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }
end

function request()
  if single then return single end
  return wrk.format("POST", path, headers_for(keys[math.random(#keys)]), body)
end
