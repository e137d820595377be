-- wrk script: signed AfterShip tracking webhooks, POST /hooks/TENANT/NAME.
--
-- Orders BENCH_PREFIX<i> (i < BENCH_ORDERS; default PO-HOOK- and 1000) with
-- a shipment tracked as BENCH_PREFIX<i>-T must exist, and the relay must have
-- [source "TENANT/aftership"] adapter = aftership, secret = BENCH_SECRET.
-- As in ssu.lua the wrk threads (BENCH_THREADS, must match -t) split the
-- orders and walk them round after round through AfterShip tags that map to
-- shipped, in_transit, out_for_delivery, delayed, in_transit, ... with a
-- checkpoint one second later every round and a unique event_id (BENCH_RUN
-- keeps ids unique across runs on one relay): every callback is new (no
-- duplicate) and moves a shipment. Each body is signed here as AfterShip
-- does, aftership-hmac-sha256 = base64(HMAC-SHA256(secret, body)), with
-- OpenSSL's libcrypto through LuaJIT's FFI (wrk runs LuaJIT).
local ffi = require("ffi")
ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md, unsigned int *md_len);
int EVP_EncodeBlock(unsigned char *t, const unsigned char *f, int n);
]]
local ok, crypto = pcall(ffi.load, "libcrypto.so.3")
if not ok then crypto = ffi.load("crypto") end

local T = tonumber(os.getenv("BENCH_THREADS") or "2")
local N = tonumber(os.getenv("BENCH_ORDERS") or "1000")
local prefix = os.getenv("BENCH_PREFIX") or "PO-HOOK-"
local secret = os.getenv("BENCH_SECRET") or "bench-aftership-secret"
local path = os.getenv("BENCH_HOOK_PATH") or "/hooks/bench/aftership"
local run = os.getenv("BENCH_RUN") or tostring(os.time())
local base_time = 1795000000
local tags = { -- {tag, subtag, message}; the first only on round 0
  {"InTransit", "InTransit_002", "Shipment picked up"},      -- shipped
  {"InTransit", "InTransit_001", "In transit"},              -- in_transit
  {"OutForDelivery", "OutForDelivery_001", "Out for delivery"}, -- out_for_delivery
  {"Exception", "Exception_004", "Customs clearance"},       -- delayed
}

local md = ffi.new("unsigned char[32]")
local md_len = ffi.new("unsigned int[1]")
local b64 = ffi.new("unsigned char[48]")
local function sign(body)
  crypto.HMAC(crypto.EVP_sha256(), secret, #secret, body, #body, md, md_len)
  local n = crypto.EVP_EncodeBlock(b64, md, md_len[0])
  return ffi.string(b64, n)
end

local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

local k = 0
local per
function init(args)
  per = math.floor(N / T)
end

function request()
  local order = tid + T * (k % per)
  local round = math.floor(k / per)
  k = k + 1
  local t = round == 0 and tags[1] or tags[(round - 1) % 3 + 2]
  local when = os.date("!%Y-%m-%dT%H:%M:%S+00:00", base_time + round)
  local trk = string.format("%s%d-T", prefix, order)
  local body = string.format(
    '{"event_id":"evt-bench-%s-%d-%d","event":"tracking_update","is_tracking_first_tag":false,' ..
    '"msg":{"id":"trk_%s","tracking_number":"%s","slug":"aramex","tag":"%s","subtag":"%s",' ..
    '"subtag_message":"%s","order_id":"%s%d","title":"%s","active":true,"updated_at":"%s",' ..
    '"custom_fields":{"note":null},"checkpoints":[{"checkpoint_time":"%s","tag":"%s","subtag":"%s",' ..
    '"location":"Dubai, AE","city":"Dubai","message":"%s"}]},"ts":%d}',
    run, tid, k, trk, trk, t[1], t[2], t[3], prefix, order, trk, when, when, t[1], t[2], t[3], base_time + round)
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["aftership-hmac-sha256"] = sign(body),
  }, body)
end
