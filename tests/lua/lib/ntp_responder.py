"""A small NTP server for luatnet's sntp tests, on loopback only.

It answers each request as the chosen kind of server and writes one line per request to a log file
("request <transmit time in Unix ms, 0 when the request carried none>"), after a first line "ready".
Kinds: ok (a server whose clock is --offset seconds off the host's), silent (never answers), garbage
(datagrams no client may use), garbage-then-ok (garbage first, then the ok answer), kod (a kiss-o'-death).
"""
import argparse
import socket
import struct
import time

NTP_TO_UNIX = 2208988800


def ntp_stamp(unix_seconds):
    seconds = int(unix_seconds)
    fraction = int((unix_seconds - seconds) * (1 << 32))
    return struct.pack("!II", (seconds + NTP_TO_UNIX) % (1 << 32), fraction)


def unix_ms(stamp):
    seconds, fraction = struct.unpack("!II", stamp)
    if seconds == 0 and fraction == 0:
        return 0
    return (seconds - NTP_TO_UNIX) * 1000 + (fraction * 1000 >> 32)


def ok_reply(request, offset):
    now = time.time() + offset
    header = struct.pack("!BBbbII4s", (0 << 6) | (4 << 3) | 4, 2, 6, -20, 0, 0, b"LOCL")
    # reference, originate (the request's transmit time), receive, transmit
    return header + ntp_stamp(now - 10) + request[40:48] + ntp_stamp(now) + ntp_stamp(now)


def garbage():
    return [b"\x1b" * 20, b"\xff" * 48, struct.pack("!B", (4 << 3) | 4) + b"\x02" + b"\x00" * 46]


def kiss_of_death(request):
    header = struct.pack("!BBbbII4s", (3 << 6) | (4 << 3) | 4, 0, 6, -20, 0, 0, b"RATE")
    return header + b"\x00" * 8 + request[40:48] + b"\x00" * 16


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--kind", default="ok")
    parser.add_argument("--offset", type=float, default=0)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    assert args.bind.startswith("127."), "loopback only"

    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((args.bind, args.port))
    with open(args.log, "a", buffering=1) as log:
        log.write("ready\n")
        while True:
            request, client = server.recvfrom(1024)
            log.write("request %d\n" % (unix_ms(request[40:48]) if len(request) >= 48 else -1))
            if args.kind == "ok":
                server.sendto(ok_reply(request, args.offset), client)
            elif args.kind in ("garbage", "garbage-then-ok"):
                for datagram in garbage():
                    server.sendto(datagram, client)
                if args.kind == "garbage-then-ok":
                    time.sleep(0.05)
                    server.sendto(ok_reply(request, args.offset), client)
            elif args.kind == "kod":
                server.sendto(kiss_of_death(request), client)


if __name__ == "__main__":
    main()
