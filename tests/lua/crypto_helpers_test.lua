-- crypto beyond the basic digests (luat_lib_crypto.c, luat_crc.c, luat_crypto_mbedtls.c): CRCs against
-- the CRC catalogue's check values and Python, md/md_file/hash streams against Python's hashlib/hmac,
-- ciphers against `openssl enc` (fixed vectors, and random data through a live openssl run), trng,
-- and bad input (unknown names, wrong key or IV lengths, bad padding) giving nil, "" or a Lua error.
local check = require "check"

local digits = "123456789"
local other = "LuatOS\0\255"

-- crc16: every named method; the first column is the catalogue's check value
local crc16Expected = {
    { "IBM", 0xBB3D, 0x5D3E }, { "MAXIM", 0x44C2, 0xA2C1 }, { "USB", 0xB4C8, 0xA981 },
    { "MODBUS", 0x4B37, 0x567E }, { "CCITT", 0x2189, 0xC3B4 }, { "CCITT-FALSE", 0x29B1, 0x06BB },
    { "X25", 0x906E, 0x40C7 }, { "XMODEM", 0x31C3, 0x3785 }, { "DNP", 0xEA82, 0xBB4B },
}
for _, case in ipairs(crc16Expected) do
    check.eq(crypto.crc16(case[1], digits), case[2], "crc16 " .. case[1] .. " check value")
    check.eq(crypto.crc16(case[1], other), case[3], "crc16 " .. case[1] .. " of binary data")
end
check.eq(crypto.crc16("USER-DEFINED", digits, 0x1021, 0xFFFF, 0, 0, 0), 0x29B1, "crc16 with explicit parameters")
check.eq(crypto.crc16("XMODEM", digits, nil, nil, nil, nil, 1), 0xC38C, "crc16 output reversal")
check.eq(crypto.crc16("nope", digits), 0, "an unknown method leaves every parameter 0")
local zb = zbuff.create(9, digits)
check.eq(crypto.crc16("MODBUS", zb), 0xFFFF, "crc16 of a zbuff starts at its cursor (here its end)")
zb:seek(0)
check.eq(crypto.crc16("MODBUS", zb), 0x4B37, "crc16 of a zbuff after seek(0)")
check.raises("#2", "crc16 of a table", crypto.crc16, "MODBUS", {})
check.raises("#1", "crc16 without a method", crypto.crc16, nil, digits)

check.eq(crypto.crc16_modbus(digits), 0x4B37, "crc16_modbus")
check.eq(crypto.crc16_modbus(digits, 0), 0xBB3D, "crc16_modbus with start 0 (the IBM model)")
check.eq(crypto.crc32(digits), 0xCBF43926, "crc32 check value")
check.eq(crypto.crc32(other), 3929365176, "crc32 as Python's zlib.crc32")
check.eq(crypto.crc32(digits, 0xFFFFFFFF, 0x1EDC6F41, 0xFFFFFFFF), 0xE3069283, "crc32 with the CRC-32C polynomial")
local partial = crypto.crc32("1234", 0xFFFFFFFF, 0x04C11DB7, 0)
check.eq(crypto.crc32("56789", partial, 0x04C11DB7, 0xFFFFFFFF), 0xCBF43926, "crc32 chained over two chunks")
check.eq(crypto.crc8(digits), 0xF4, "crc8 default (poly 0x07)")
check.eq(crypto.crc8(digits, 0x31, 0, true), 0xA1, "crc8 reflected 0x31 (CRC-8/MAXIM)")
check.eq(crypto.crc8(digits, 0x31, 0xFF, false), 0xF7, "crc8 with a start value")
check.eq(crypto.crc7(digits, 0x09), 0x75, "crc7 with poly 0x09 (CRC-7/MMC check value)")
check.eq(crypto.crc7(digits), 0x1F, "crc7 default poly 0xE5 (its low 7 bits)")
check.eq(crypto.crc7(digits, 0x31, 0xFF), 0x60, "crc7 with a start value")
check.eq(crypto.checksum("OK"), 0x04, "checksum xor")
check.eq(crypto.checksum("OK", 1), 0x9A, "checksum sum")

-- md, md_file and hash streams (values from Python hashlib/hmac)
check.eq(crypto.md("SHA224", "abc"), "23097D223405D8228642A477BDA255B32AADBCE4BDA0B3F7E36C9DA7", "md SHA224")
check.eq(crypto.md("SHA384", "abc"), "CB00753F45A35E8BB5A03D699AC65007272C32AB0EDED1631A8B605A43FF5BED8086072BA1E7CC2358BAECA134C825A7", "md SHA384")
check.eq(crypto.md("MD5", "1234567890", "123456"), "3324A5385619D5485AAD1D8D274214A0", "md with an HMAC key")
check.eq(crypto.md("NOPE", "x"), nil, "md of an unknown type is nil")
check.eq(crypto.md("sha1", "x"), nil, "type names are case-sensitive, as mbedTLS")
local path = "/md_file_test.bin"  -- a device path: md_file reads through the same mapping as io.open
local file = io.open(path, "wb")
file:write(string.rep("luatnet\n", 1000))
file:close()
check.eq(crypto.md_file("SHA256", path), "DC21CE5689FC09C08E9A31CB7005599AA787091378EB22A741CD4F710C64BE07", "md_file SHA256")
check.eq(crypto.md_file("MD5", path), "7EB0C8DB6443B3AD3BD43A8419E2C7AC", "md_file MD5")
check.eq(crypto.md_file("SHA1", path, "123456"), "CEEA0EBF2F123CF3DA62C0266656258956AA3B48", "md_file HMAC-SHA1")
check.eq(crypto.md_file("SHA256", path .. ".missing"), nil, "md_file of a missing file is nil")
check.eq(crypto.md_file("SHA256", "/"), nil, "a one-character path is nil, as the firmware")
check.eq(crypto.md_file("NOPE", path), nil, "md_file of an unknown type is nil")
os.remove(path)

local stream = crypto.hash_init("SHA1")
crypto.hash_update(stream, "The quick brown fox ")
crypto.hash_update(stream, "jumps over the lazy dog")
check.eq(crypto.hash_finish(stream), "2FD4E1C67A2D28FCED849EE1BB76E7391B93EB12", "SHA1 stream over two updates")
crypto.hash_update(stream, "more")
check.eq(crypto.hash_finish(stream), nil, "a finished stream gives nil, as on the device")
local keyed = crypto.hash_init("SHA256", "key")
for word in ("The quick brown fox jumps over the lazy dog"):gmatch(".") do crypto.hash_update(keyed, word) end
check.eq(crypto.hash_finish(keyed), "F7BC83F430538424B13298E6AA6FB143EF4D59A14946175997479DBC2D1A3CD8", "HMAC-SHA256 stream")
local unkeyed = crypto.hash_init("MD5", "")
crypto.hash_update(unkeyed, "abc")
check.eq(crypto.hash_finish(unkeyed), "900150983CD24FB0D6963F7D28E17F72", "an empty key means a plain digest")
check.eq(crypto.hash_init("NOPE"), nil, "hash_init of an unknown type is nil")
check.raises("#1", "hash_update of a string", crypto.hash_update, "x", "y")
check.raises("#1", "hash_finish of a zbuff", crypto.hash_finish, zb)
check.raises("#2", "hash_update of nil data", crypto.hash_update, crypto.hash_init("MD5"), nil)
for _ = 1, 200 do crypto.hash_update(crypto.hash_init("SHA512", "k"), "abandoned") end
collectgarbage()
check.truthy(true, "abandoned streams are collected (ASan reports a leak otherwise)")

-- totp: RFC 6238's SHA-1 vectors (secret "12345678901234567890", codes cut to 6 digits)
local secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
check.eq(crypto.totp(secret, 59), 287082, "totp at T=59")
check.eq(crypto.totp(secret, 1111111109), 81804, "totp at T=1111111109")
check.eq(crypto.totp(secret, 1234567890), 5924, "totp at T=1234567890")
check.eq(math.type(crypto.totp(secret)), "integer", "totp of the current time")
check.raises("invalid base32 secret", "totp with a secret that is not base32", crypto.totp, "!!")
check.truthy(#crypto.cipher_suites() > 10 and crypto.cipher_suites()[1]:find("^TLS%-"), "cipher_suites names TLS suites")

-- trng
local r1, r2 = crypto.trng(16), crypto.trng(16)
check.eq(#r1, 16, "trng length")
check.truthy(r1 ~= r2, "two trng draws differ")
check.eq(#crypto.trng(200), 128, "trng caps at 128 bytes")
check.eq(crypto.trng(0), nil, "trng(0) is nil")
check.eq(crypto.trng(-1), nil, "a negative length is nil")

-- ciphers: vectors from `openssl enc -nosalt` with key "1234567890123456" and IV "1234567890666666"
local key, iv = "1234567890123456", "1234567890666666"
local vectors = {
    { "AES-128-ECB", "PKCS7", "1234567890123456", "757CCD0CDC5C90EADBEEECF638DD0000050187A0CDE5A9872CBAB091AB73E553" },
    { "AES-128-CBC", "PKCS7", "1234567890123456", "BBD7A757D8072A0455D783BEA0334EC1ADC50A0FAE37591A20B292AB89034125" },
    { "AES-128-CTR", "NONE", "1234567890123456", "9A0E5EF4E7CDB7D6FF4A0AC151B8304D" },
    { "AES-128-ECB", "PKCS7", "LuatOS", "1A24E1FCE221BD924210A57B47BF511E" },
    { "AES-128-CBC", "PKCS7", "LuatOS", "98CBCAED3491B8A9633B1A821DEC5114" },
    { "AES-128-CTR", "PKCS7", "LuatOS", "E7490CB49DA8" },
    { "AES-128-ECB", "PKCS7", "hello world, this is luatnet!", "85FF671ACEC48347CC0A12A9ADD5EB4FF90706B8E015FD9C222323BB1C6EAFE3" },
    { "AES-128-CBC", "PKCS7", "hello world, this is luatnet!", "761D299FD0B4070A807DAB50F1C518E3014E9D1AA7469C3932757A62D3E59F44" },
    { "AES-128-CTR", "NONE", "hello world, this is luatnet!", "C35901ACBDDBF781B4165FDF42F86D1258FDE0529C2FB1E054D374E5B8" },
    { "AES-128-ECB", "ZERO", "LuatOS", "698A8A0AD4EE617201A391D8615762B0" },
    { "AES-128-CBC", "ZERO", "LuatOS", "076B252990A22FD66923B95CC25FF5E6" },
    { "AES-128-ECB", "NONE", "1234567890123456", "757CCD0CDC5C90EADBEEECF638DD0000" },
}
for _, v in ipairs(vectors) do
    local name = v[1] .. " " .. v[2] .. " " .. #v[3] .. " bytes"
    local sealed = crypto.cipher_encrypt(v[1], v[2], v[3], key, iv)
    check.eq(sealed and sealed:toHex(), v[4], name .. " encrypts as openssl")
    check.eq(crypto.cipher_decrypt(v[1], v[2], sealed or "", key, iv), v[3], name .. " decrypts back")
end
check.eq(crypto.cipher_encrypt("AES-128-ECB", "ZERO", key, key):toHex(),
    "757CCD0CDC5C90EADBEEECF638DD0000D8B59848C7670C94B29B54D2379E2E7A", "ZERO padding adds a zero block to aligned data, as the firmware")
check.eq(crypto.cipher_encrypt(nil, nil, key, key):toHex():sub(1, 32), "757CCD0CDC5C90EADBEEECF638DD0000",
    "type and padding default to AES-128-ECB and PKCS7")
check.eq(crypto.cipher("AES-128-ECB", "PKCS7", "LuatOS", key):toHex(), "1A24E1FCE221BD924210A57B47BF511E", "crypto.cipher encrypts")
local key256 = string.fromHex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")
check.eq(crypto.cipher_encrypt("AES-256-CBC", "PKCS7", "LuatOS", key256, iv):toHex(), "49AD1B37DFE2121D1AC52B87C30BA6EE", "AES-256-CBC")
for _, pad in ipairs({ "ONE_AND_ZEROS", "ZEROS_AND_LEN", "PKCS7", "ZERO" }) do
    for _, mode in ipairs({ "AES-192-ECB", "AES-192-CBC" }) do
        local k192 = string.rep("k", 24)
        local text = "padding " .. pad .. " in " .. mode
        local sealed = crypto.cipher_encrypt(mode, pad, text, k192, iv)
        check.eq(#sealed % 16, 0, mode .. " " .. pad .. " gives whole blocks")
        check.eq(crypto.cipher_decrypt(mode, pad, sealed, k192, iv), text, mode .. " " .. pad .. " round trip")
    end
end

-- cipher failures
check.eq(crypto.cipher_encrypt("AES-128-XYZ", "PKCS7", "x", key), nil, "an unknown cipher is nil")
check.eq(crypto.cipher_encrypt("AES-128-GCM", "PKCS7", "x", key, iv), nil, "AEAD modes are not offered (nil)")
check.eq(crypto.cipher_encrypt("AES-128-ECB", "PKCS7", "x", "short key"), nil, "a wrong key length is nil")
check.eq(crypto.cipher_encrypt("AES-128-CBC", "PKCS7", "x", key, "short"), nil, "a short IV is nil")
check.eq(crypto.cipher_encrypt("AES-128-ECB", "NONE", "12345", key), "", "unpadded partial block gives an empty string")
local firstBlock = crypto.cipher_encrypt("AES-128-ECB", "NONE", key, key)
check.eq(crypto.cipher_decrypt("AES-128-ECB", "PKCS7", firstBlock, key), "", "invalid PKCS7 padding gives an empty string")
check.eq(crypto.cipher_decrypt("AES-128-CBC", "PKCS7", "0123456789", key, iv), "", "CBC ciphertext of a partial block gives an empty string")
check.raises("#3", "cipher data must be a string", crypto.cipher_encrypt, "AES-128-ECB", "PKCS7", nil, key)
check.raises("#4", "cipher key must be a string", crypto.cipher_encrypt, "AES-128-ECB", "PKCS7", "x", {})
check.raises("#5", "cipher IV must be a string", crypto.cipher_encrypt, "AES-128-CBC", "PKCS7", "x", key, {})
local names = table.concat(crypto.cipher_list(), " ")
check.truthy(names:find("AES-128-ECB", 1, true) and names:find("AES-256-CBC", 1, true) and names:find("AES-128-CTR", 1, true),
    "cipher_list names the AES modes")
check.eq(names:find("GCM", 1, true), nil, "cipher_list leaves out what cipher_encrypt refuses")

-- random data through a live openssl run
local function hexOf(command)
    local pipe = io.popen("timeout 20 " .. command)
    local out = pipe:read("*a")
    pipe:close()
    return out:gsub("%s", ""):upper()
end
local host = require "luatnet.host"  -- openssl reads a host file
local plainPath = os.tmpname()
for _, case in ipairs({ { "AES-256-CBC", "aes-256-cbc", 32, 100 }, { "AES-128-CTR", "aes-128-ctr", 16, 77 },
    { "AES-192-ECB", "aes-192-ecb", 24, 64 } }) do
    local k, v, plain = crypto.trng(case[3]), crypto.trng(16), crypto.trng(case[4])
    local out = host.open(plainPath, "wb")
    out:write(plain)
    out:close()
    local ivOption = case[1]:find("ECB") and "" or (" -iv " .. v:toHex())
    local expected = hexOf(string.format("openssl enc -%s -nosalt -K %s%s -in %s | xxd -p", case[2], k:toHex(), ivOption, plainPath))
    local sealed = crypto.cipher_encrypt(case[1], "PKCS7", plain, k, v)
    check.eq(sealed:toHex(), expected, case[1] .. " of random data matches openssl")
    check.eq(crypto.cipher_decrypt(case[1], "PKCS7", sealed, k, v), plain, case[1] .. " of random data decrypts back")
end
host.remove(plainPath)

check.done(132)
