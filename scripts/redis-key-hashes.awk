# Writes the Redis protocol for N hashes (`awk -v n=N -f scripts/redis-key-hashes.awk | redis-cli --pipe`),
# each with the fields of an API key as Bureau stores it: id, userId, name, lookupId, a bcrypt hash of
# cost 4, lastFour, createdAt. Random values from a fixed seed: every run writes the same hashes.
function h() { return sprintf("%04x", int(rand() * 65536)) }
function uuid() { return h() h() "-" h() "-4" substr(h(), 2) "-" h() "-" h() h() h() }
function pick(alphabet, count,   out, i) { out = ""; for (i = 0; i < count; i++) out = out substr(alphabet, int(rand() * length(alphabet)) + 1, 1); return out }
function bulk(s) { return "$" length(s) "\r\n" s "\r\n" }
BEGIN {
    srand(11); t = "2026-11-22T13:13:12.587Z"; user = uuid()
    b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"; b64 = "./" b62
    for (i = 0; i < n; i++) {
        id = uuid(); lookup = pick(b62, 12)
        printf "*16\r\n%s%s", bulk("HSET"), bulk("apikey:" id)
        printf "%s%s%s%s%s%s", bulk("id"), bulk(id), bulk("userId"), bulk(user), bulk("name"), bulk("load key " (i + 1))
        printf "%s%s%s%s", bulk("lookupId"), bulk(lookup), bulk("secretHash"), bulk("$2b$04$" pick(b64, 53))
        printf "%s%s%s%s", bulk("lastFour"), bulk(pick(b62, 4)), bulk("createdAt"), bulk(t)
    }
}
