-- bench/web_post.lua - wrk's POST bodies for bench/web_bench.sh (issue 15).
--
--   wrk -t T -c C -d S -s bench/web_post.lua URL -- KIND BATCH NONCE [TOKEN]
--
-- KIND hq: POST /api/v1/events to houqin-web, BATCH events per request (1:
--          one JSON object; more: a JSON array), with Authorization: Bearer
--          TOKEN.  Every event is the sensor.reading of hq-bench (bench/README.md)
--          with a unique time-ordered id: NONCE (12 hex digits, the run's start
--          in ms), a per-thread counter, the thread's index.  Nothing is a
--          duplicate, also across the threads.
-- KIND am: POST /api/v2/alerts to Alertmanager, one alert per request (BATCH
--          must be 1) with the same fields as labels and an "id" label of the
--          same form, so that every alert is a new one.
--
-- A reply counts as ok when its status is 200 and, for hq, its body holds one
-- "status":"stored" per event.  done() prints one line that bench/web_bench.sh
-- reads:  WEBBENCH requests=N ok=N bad=N events=N seconds=S rps=R eps=E
--         p50_ms=.. p99_ms=.. p999_ms=.. max_ms=.. first_bad=<status:text>

local threads = {}
local counter = 0

function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end

function init(args)
    kind = args[1] or "hq"
    batch = tonumber(args[2] or "1")
    nonce = tonumber(args[3] or "0")
    token = args[4] or ""
    ok, bad, stored, first_bad = 0, 0, 0, ""
    wrk.method = "POST"
    if kind == "hq" then
        wrk.headers["Content-Type"] = "application/json"
        wrk.headers["Authorization"] = "Bearer " .. token
    else
        wrk.headers["Content-Type"] = "application/json"
    end
    prefix = string.format("%012x-", nonce)
    suffix = string.format("-%04x", tid)
end

local function event(ts)
    counter = counter + 1
    return '{"id":"' .. prefix .. string.format("%010x", counter) .. suffix ..
        '","type":"sensor.reading","ts":' .. ts ..
        ',"data":{"sensor":"cs-001","kind":"cold_storage_temp","value":4.5,"unit":"C","site":"canteen-1"}}'
end

local function alert()
    counter = counter + 1
    return '[{"labels":{"alertname":"sensor.reading","id":"' .. prefix .. string.format("%010x", counter) ..
        suffix .. '","sensor":"cs-001","kind":"cold_storage_temp","site":"canteen-1"},' ..
        '"annotations":{"value":"4.5","unit":"C"},"generatorURL":"http://127.0.0.1/bench"}]'
end

function request()
    local body
    if kind == "am" then
        body = alert()
    else
        local ts = string.format("%d", os.time() * 1000)
        if batch == 1 then
            body = event(ts)
        else
            local t = {}
            for i = 1, batch do
                t[i] = event(ts)
            end
            body = "[" .. table.concat(t, ",") .. "]"
        end
    end
    return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
    local good = status == 200
    if good and kind == "hq" then
        local _, n = string.gsub(body, '"status":"stored"', "")
        stored = stored + n
        good = n == batch
    end
    if good then
        ok = ok + 1
    else
        bad = bad + 1
        if first_bad == "" then
            first_bad = status .. ":" .. string.sub(string.gsub(body or "", "%s+", " "), 1, 160)
        end
    end
end

function done(summary, latency, requests)
    local ok_n, bad_n, first = 0, 0, ""
    for _, t in ipairs(threads) do
        ok_n = ok_n + t:get("ok")
        bad_n = bad_n + t:get("bad")
        local f = t:get("first_bad")
        if first == "" and f and f ~= "" then
            first = f
        end
    end
    local secs = summary.duration / 1e6
    local per = tonumber(threads[1]:get("batch")) or 1
    io.write(string.format(
        "WEBBENCH requests=%d ok=%d bad=%d events=%d seconds=%.3f rps=%.1f eps=%.1f " ..
        "p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f socket_errors=%d first_bad=%s\n",
        summary.requests, ok_n, bad_n, ok_n * per, secs, ok_n / secs, ok_n * per / secs,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
        latency.max / 1000,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
        (string.gsub(first, " ", "_"))))
end
