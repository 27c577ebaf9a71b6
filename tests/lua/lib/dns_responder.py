"""A tiny DNS server for luatnet's tests, on 127.0.0.1 only: A records for the names given as name=ip,
NXDOMAIN for every other name. Writes "ready" to --log once bound, then one line per query."""
import argparse
import socket
import struct


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("records", nargs="*")
    args = parser.parse_args()
    records = dict(record.split("=", 1) for record in args.records)
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", args.port))
    with open(args.log, "a", buffering=1) as log:
        log.write("ready\n")
        while True:
            query, client = server.recvfrom(512)
            if len(query) < 12:
                continue
            labels, at = [], 12
            while at < len(query) and query[at] != 0:
                labels.append(query[at + 1:at + 1 + query[at]].decode("ascii", "replace"))
                at += 1 + query[at]
            question = query[12:at + 5]
            qtype = struct.unpack("!H", query[at + 1:at + 3])[0] if at + 3 <= len(query) else 0
            name = ".".join(labels)
            log.write("query %s %d\n" % (name, qtype))
            address = records.get(name)
            flags = 0x8180 if address else 0x8183  # a response, recursion available; NXDOMAIN without a record
            answers = b""
            count = 0
            if address and qtype == 1:
                answers = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(address)
                count = 1
            header = query[:2] + struct.pack("!HHHHH", flags, 1, count, 0, 0)
            server.sendto(header + question + answers, client)


if __name__ == "__main__":
    main()
