-- wrk script: each request presents the next API key of a seed file (one key per line, as
-- `bureau seed --out FILE` writes it), so a load test exercises many keys, not one.
--
--   KEYS_FILE=keys.txt wrk -t2 -c64 -d30s -s scripts/wrk-keys.lua http://127.0.0.1:8080/api/desktops
--
-- Each wrk thread reads the file once and starts at its own offset.
local keys = {}
local position = 1

function setup(thread)
    thread:set("offset", math.random(1, 1000000))
end

function init(args)
    local path = os.getenv("KEYS_FILE") or "keys.txt"
    for line in io.lines(path) do
        if #line > 0 then keys[#keys + 1] = line end
    end
    if #keys == 0 then error("no keys in " .. path) end
    position = (offset or 1) % #keys + 1
end

function request()
    local key = keys[position]
    position = position % #keys + 1
    return wrk.format(nil, nil, { ["x-api-key"] = key })
end
