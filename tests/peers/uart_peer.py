#!/usr/bin/env python3
"""The far end of a simulated UART for uart_test.lua: connects to the TCP port (tcp:HOST:PORT) or opens
the pseudo-terminal (pty:PATH) luatnet wired the UART to, then plays a fixed exchange: sends "ping" and
expects "pong"; sends SIZE patterned bytes and expects them back unchanged. Prints what it saw."""
import os
import socket
import sys
import time
import tty

where, size = sys.argv[1], int(sys.argv[2])


class Wire:
    def __init__(self, where):
        kind, _, rest = where.partition(":")
        self.sock = None
        if kind == "tcp":
            host, _, port = rest.rpartition(":")
            self.sock = socket.create_connection((host, int(port)), timeout=20)
        else:
            self.fd = os.open(rest, os.O_RDWR | os.O_NOCTTY)
            tty.setraw(self.fd)

    def send(self, data):
        if self.sock:
            self.sock.sendall(data)
        else:
            while data:
                data = data[os.write(self.fd, data):]

    def receive(self, count, deadline):
        got = b""
        while len(got) < count and time.time() < deadline:
            if self.sock:
                chunk = self.sock.recv(count - len(got))
            else:
                chunk = os.read(self.fd, count - len(got))
            if not chunk:
                break
            got += chunk
        return got


wire = Wire(where)
print("PEER CONNECTED", flush=True)
time.sleep(0.3)  # the script sets the UART up once it sees the connection
deadline = time.time() + 30
wire.send(b"ping")
print("PEER GOT " + wire.receive(4, deadline).decode(errors="replace"), flush=True)
pattern = bytes(i % 251 for i in range(size))
for start in range(0, size, 1000):
    wire.send(pattern[start:start + 1000])
    time.sleep(0.002)
back = wire.receive(size, deadline)
print("PEER BULK " + ("OK" if back == pattern else "BAD %d" % len(back)), flush=True)
wire.send(b"late")  # after uart.close on the script's side: must not arrive
time.sleep(0.5)
print("PEER DONE", flush=True)
