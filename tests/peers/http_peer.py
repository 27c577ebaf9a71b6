#!/usr/bin/python3
"""HTTP(S) peer for luatnet's http tests: well-formed answers (sized, chunked, up to the close, large
downloads, echo of the request as received) and broken ones (stalls, closes mid-body, garbage, oversized
heads, bad chunk framing). Loopback only; the test runs it under `timeout`.

usage: http_peer.py PORT [--host ADDRESS] [--tls CERT KEY]
"""
import argparse
import hashlib
import socket
import http.server
import socketserver
import ssl
import time
from urllib.parse import urlparse, parse_qs


def pattern(size):
    """Deterministic bytes: the same size always gives the same content."""
    block = bytes(range(256)) * 256
    whole, rest = divmod(size, len(block))
    return block * whole + block[:rest]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def raw(self, data):
        self.wfile.write(data)
        self.wfile.flush()

    def reply(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.raw(body)

    def received_body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(length) if length else b""

    def handle_any(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        route = url.path
        if route == "/hello":
            self.reply(200, b"hello world", [("Content-Type", "text/plain")])
        elif route == "/echo":
            # The request as it arrived: request line, headers in order, blank line, body.
            body = self.received_body()
            head = self.requestline + "\r\n" + "".join("%s: %s\r\n" % item for item in self.headers.items())
            self.reply(200, head.encode() + b"\r\n" + body, [("X-Body-Sha256", hashlib.sha256(body).hexdigest())])
        elif route == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"first,", b"second,", b"x" * 5000, b",last"):
                self.raw(b"%x\r\n%s\r\n" % (len(piece), piece))
                time.sleep(0.01)
            self.raw(b"0\r\n\r\n")
        elif route == "/until-close":
            self.raw(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
            for piece in (b"part one,", b"part two,", b"part three"):
                self.raw(piece)
                time.sleep(0.05)
            self.close_connection = True
        elif route == "/big":
            size = int(query["size"][0])
            body = pattern(size)
            self.reply(200, body, [("X-Sha256", hashlib.sha256(body).hexdigest())])
        elif route == "/status":
            code = int(query["code"][0])
            self.reply(code, b"status body %d" % code, [("Location", "/hello")] if 300 <= code < 400 else [])
        elif route == "/headers":
            self.send_response(200)
            self.send_header("X-One", "1")
            self.send_header("X-Spaced", "a b  c")
            self.send_header("X-Empty", "")
            self.send_header("Set-Cookie", "a=1")
            self.send_header("Set-Cookie", "b=2")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.raw(b"ok")
        elif route == "/nocontent":
            self.send_response(204)
            self.end_headers()
        elif route == "/drip":
            # 60 pieces of 100 bytes, 50 ms apart: a body that takes 3 s.
            self.raw(b"HTTP/1.1 200 OK\r\nContent-Length: 6000\r\n\r\n")
            for _ in range(60):
                self.raw(b"d" * 100)
                time.sleep(0.05)
        elif route == "/stall":
            time.sleep(30)
        elif route == "/stall-body":
            self.raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
            time.sleep(30)
        elif route == "/close-mid":
            self.raw(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"y" * 100)
            self.close_connection = True
        elif route == "/close-mid-chunked":
            self.raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
            self.close_connection = True
        elif route == "/close-early":
            self.close_connection = True
        elif route == "/garbage":
            self.raw(b"THIS IS NOT HTTP AT ALL\r\n\r\n")
            time.sleep(30)  # no close: the client must not wait for one
        elif route == "/bad-chunk":
            self.raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n")
            time.sleep(30)
        elif route == "/huge-head":
            self.raw(b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"f" * 9000 + b"\r\n\r\nbody")
            time.sleep(30)
        elif route == "/big-head":
            # Just under the device's 8 KiB receive buffer: accepted.
            self.raw(b"HTTP/1.1 200 OK\r\nX-Filler: " + b"f" * 7000 + b"\r\nContent-Length: 4\r\n\r\nbody")
        else:
            self.reply(404, b"no route " + route.encode())

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class Server6(Server):
    address_family = socket.AF_INET6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = parser.parse_args()
    server = (Server6 if ":" in args.host else Server)((args.host, args.port), Handler)
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*args.tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
