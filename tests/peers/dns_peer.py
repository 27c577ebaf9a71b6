#!/usr/bin/python3
"""A DNS server for luatnet's tests, on UDP loopback: dual.luatnet.test has A 127.0.0.1 and AAAA ::1;
every other name is NXDOMAIN. usage: dns_peer.py PORT"""
import socket
import struct
import sys

RECORDS = {("dual.luatnet.test", 1): socket.inet_aton("127.0.0.1"),
           ("dual.luatnet.test", 28): socket.inet_pton(socket.AF_INET6, "::1")}


def read_name(packet, at):
    labels = []
    while packet[at]:
        labels.append(packet[at + 1:at + 1 + packet[at]].decode())
        at += 1 + packet[at]
    return ".".join(labels), at + 1


def answer(query):
    name, end = read_name(query, 12)
    qtype, = struct.unpack(">H", query[end:end + 2])
    question = query[12:end + 4]
    data = RECORDS.get((name.lower(), qtype))
    if data is None:
        rcode = 0 if any(known == name.lower() for known, _ in RECORDS) else 3
        return query[:2] + struct.pack(">HHHHH", 0x8180 | rcode, 1, 0, 0, 0) + question
    record = struct.pack(">HHHIH", 0xC00C, qtype, 1, 60, len(data)) + data
    return query[:2] + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0) + question + record


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", int(sys.argv[1])))
    while True:
        query, sender = server.recvfrom(512)
        try:
            server.sendto(answer(query), sender)
        except (IndexError, struct.error, UnicodeDecodeError):
            pass


main()
