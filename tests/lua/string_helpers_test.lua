-- The firmware's string helpers (lstrlib_exts.c): trim, startsWith/endsWith, urlEncode modes, toValue,
-- toHex's length return, split's edge cases, base32 (vectors from Python's base64.b32encode, padding cut).
local check = require "check"

-- trim: only space, tab, CR and LF go; only booleans change a side
check.eq(string.trim("\r\n abc \t\r\n"), "abc", "trim both sides")
check.eq(("  abc  "):trim(), "abc", "trim as a method")
check.eq(string.trim("\r\nabc\r\n", false, true), "\r\nabc", "trim the right side only")
check.eq(string.trim("\r\nabc\r\n", true, false), "abc\r\n", "trim the left side only")
check.eq(string.trim("  abc  ", nil, 0), "abc", "non-boolean side arguments keep the default")
check.eq(string.trim(" \t\r\n "), "", "all whitespace trims to empty")
check.eq(string.trim(""), "", "empty stays empty")
check.eq(string.trim("\0 a \v"), "\0 a \v", "NUL and vertical tab are not trimmed")
check.raises("#1", "trim needs a string", string.trim, {})

-- startsWith / endsWith
check.eq(("abc"):startsWith("a"), true, "startsWith")
check.eq(("abc"):startsWith("b"), false, "startsWith false")
check.eq(("abc"):startsWith(""), true, "empty prefix")
check.eq(("ab"):startsWith("abc"), false, "prefix longer than the text")
check.eq(("abc"):endsWith("bc"), true, "endsWith")
check.eq(("abc"):endsWith("b"), false, "endsWith false")
check.eq(("a\0c"):endsWith("\0c"), true, "endsWith with a NUL byte")
check.raises("#2", "startsWith needs a prefix", string.startsWith, "abc", nil)

-- urlEncode: the firmware's documented examples and modes
check.eq(string.urlEncode("123 abc+/"), "123+abc%2B%2F", "mode 0 (PHP)")
check.eq(string.urlEncode("123 abc+/", 1), "123%20abc%2B%2F", "mode 1 (RFC 3986)")
check.eq(string.urlEncode("123 abc+/", -1, 1, "/"), "123%20abc%2B/", "custom mode, space as %20")
check.eq(string.urlEncode("123 abc+/", -1, 0, "/"), "123+abc%2B/", "custom mode, space as +")
check.eq(string.urlEncode("123 abc+/", -1, 0, "/ "), "123 abc%2B/", "custom mode keeps a listed space")
check.eq(string.urlEncode("a.-*_~"), "a.-*_%7E", "mode 0 keeps . - * _")
check.eq(string.urlEncode("a.-*_~", 1), "a.-%2A_%7E", "mode 1 keeps . - _ only")
check.eq(string.urlEncode("\xe4\xb8\xad\0"), "%E4%B8%AD%00", "bytes above 127 and NUL")
check.eq(string.urlEncode("a b", 7), "a+b", "an unknown mode acts as 0")
check.raises("#2", "a nil mode is an error when given", string.urlEncode, "a b", nil)
check.raises("#4", "custom mode needs the kept characters", string.urlEncode, "a b", -1, 0)

-- toValue
local value, count = string.toValue("123abc")
check.eq(value, "\1\2\3\10\11\12", "toValue digits and letters")
check.eq(count, 6, "toValue count")
check.eq(string.toValue("AZ"), "\10\3", "upper-case letters")
local empty, none = string.toValue("")
check.eq(empty, "", "toValue of empty")
check.eq(none, 0, "toValue count of empty")

-- toHex: the count is 2 * #data, separators not counted (the firmware's example)
local hex, length = string.toHex("123abc", " ")
check.eq(hex, "31 32 33 61 62 63 ", "toHex with separator")
check.eq(length, 12, "toHex length leaves separators out")
check.eq(string.fromHex("1 23"), "\x23", "a non-hex character drops a pending half byte")

-- split edge cases
check.eq(#string.split(""), 0, "splitting empty text gives an empty table")
check.eq(#string.split("", ",", true), 0, "even when keeping empty pieces")
local kept = ("/tmp//def/1234/"):split("/", true)
check.eq(#kept, 6, "keeping empty pieces (the firmware's example)")
check.eq(kept[1] .. "|" .. kept[3] .. "|" .. kept[6], "||", "empty pieces at the ends and middle")
check.eq(#("/tmp//def/1234/"):split("/"), 3, "dropping empty pieces")
check.eq(#string.split("a::b", "::"), 2, "multi-character delimiter")
check.eq(#string.split("a,b", ",", 1), 2, "only a boolean true keeps empty pieces")

-- base32: RFC 4648 alphabet, no padding (Python: b32encode(b"foobar") == b"MZXW6YTBOI======")
check.eq(string.toBase32("foobar"), "MZXW6YTBOI", "toBase32")
check.eq(string.toBase32("\0\255\16"), "AD7RA", "toBase32 binary")
check.eq(string.toBase32("LuatOS"), "JR2WC5CPKM", "toBase32 text")
check.eq(string.toBase32(""), "", "toBase32 empty")
check.eq(string.fromBase32("MZXW6YTBOI"), "foobar", "fromBase32")
check.eq(string.fromBase32("mzxw6ytboi"), "foobar", "fromBase32 is case-insensitive")
check.eq(string.fromBase32("MZXW-6YTB OI\r\n"), "foobar", "fromBase32 skips separators")
check.eq(string.fromBase32("AD7RA"), "\0\255\16", "fromBase32 binary")
check.eq(string.fromBase32("JR2WC5CPKM"), "LuatOS", "fromBase32 round trip")
check.eq(string.fromBase32("MZXW6YTBOI======"), "", "padding is rejected, as the firmware's decoder")
check.eq(string.fromBase32("MZ!W"), "", "an invalid character gives empty")
check.eq(string.fromBase32(""), "", "fromBase32 empty")
local random = crypto.trng(100) .. crypto.trng(57)
check.eq(string.fromBase32(string.toBase32(random)), random, "random bytes round trip through base32")

check.done(56)
