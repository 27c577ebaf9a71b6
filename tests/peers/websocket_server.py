#!/usr/bin/python3
"""WebSocket peers for luatnet's websocket tests, on loopback (--host 127.0.0.1 or ::1), ending by themselves after --lifetime seconds.

--port: a Python `websockets` server (ws://, or wss:// with --cert/--key) whose path picks the behaviour:
  /echo, /ws/echo   every message back, text as text and binary as binary
  /headers?...      first a JSON text with the request's path and headers, then echo
  /fragments        a text message in three frames, then a binary one in two
  /ping             pings with payload "hello", then sends "pong hello" once the pong matched
  /close/CODE       closes with CODE and the reason "bye"
  /watch-close      waits for the client to close; /last-close then answers the code it got ("none": no frame)
--raw-port: a server of plain sockets that does the upgrade by hand and then misbehaves on purpose:
  /raw/garbage, /raw/not101, /raw/wrong-accept, /raw/endless-headers   (bad upgrade answers)
  /raw/huge-length   a frame header announcing 2^62 bytes, then a stream of bytes
  /raw/mid-frame     half a frame, then the connection closes
  /raw/masked        a masked frame (servers must not mask); /raw/bad-opcode a frame with opcode 3
  /raw/not-utf8      a text frame that is not UTF-8 (the firmware passes it on)
  /raw/too-big       a 40000-byte frame; /raw/max-frame a 32768-byte one, then "after"
  /raw/trickle       response and two frames in one write, then a frame one byte at a time
  /raw/count-pings   answers each ping it reads with a text "ping LEN masked=M"
"""
import argparse
import asyncio
import base64
import hashlib
import json
import ssl
import struct

import websockets

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
last_close = {"code": "none"}


async def handler(ws, path):
    if path in ("/echo", "/ws/echo"):  # /ws/echo: the path the firmware demos use
        async for message in ws:
            await ws.send(message)
    elif path.startswith("/headers"):
        await ws.send(json.dumps({"path": path, "headers": [[k, v] for k, v in ws.request_headers.raw_items()]}))
        async for message in ws:
            await ws.send(message)
    elif path == "/fragments":
        await ws.send(["one-", "two-", "three"])
        await ws.send([b"\x00\x01", b"\x02\xff"])
        await ws.wait_closed()
    elif path == "/ping":
        waiter = await ws.ping(b"hello")
        await asyncio.wait_for(waiter, 5)
        await ws.send("pong hello")
        await ws.wait_closed()
    elif path.startswith("/close/"):
        await ws.close(code=int(path.split("/")[2]), reason="bye")
    elif path == "/watch-close":
        await ws.wait_closed()
        last_close["code"] = str(ws.close_code) if ws.close_code is not None else "none"
    elif path == "/last-close":
        await ws.send(last_close["code"])
        await ws.wait_closed()


def frame(opcode, payload, fin=True, mask=None):
    head = bytes([(0x80 if fin else 0) | opcode])
    mask_bit = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head += bytes([mask_bit | n])
    elif n < 65536:
        head += bytes([mask_bit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([mask_bit | 127]) + struct.pack(">Q", n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


def upgrade_answer(key, accept=None):
    accept = accept or base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    return ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: " + accept + "\r\n\r\n").encode()


async def read_frame(reader):
    b0, b1 = await reader.readexactly(2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack(">H", await reader.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", await reader.readexactly(8))[0]
    mask = await reader.readexactly(4) if b1 & 0x80 else None
    data = await reader.readexactly(n)
    if mask:
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return b0 & 0x0F, bool(b1 & 0x80), data


async def raw_handler(reader, writer):
    try:
        request = await reader.readuntil(b"\r\n\r\n")
        lines = request.decode().split("\r\n")
        path = lines[0].split(" ")[1]
        key = next(l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("sec-websocket-key:"))
        if path == "/raw/garbage":
            writer.write(b"\x00\xffgarbage\r\n\r\n")
        elif path == "/raw/not101":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno")
        elif path == "/raw/wrong-accept":
            writer.write(upgrade_answer(key, accept=base64.b64encode(b"x" * 20).decode()))
        elif path == "/raw/endless-headers":
            writer.write(b"HTTP/1.1 101 Switching Protocols\r\n")
            for _ in range(20000):  # 1 MB unless the client stops reading
                writer.write(b"X-Padding: " + b"a" * 40 + b"\r\n")
                await writer.drain()
        elif path == "/raw/huge-length":
            writer.write(upgrade_answer(key) + bytes([0x82, 127]) + struct.pack(">Q", 1 << 62))
            for _ in range(2000):  # 32 MB unless the client stops reading
                writer.write(b"z" * 16384)
                await writer.drain()
        elif path == "/raw/mid-frame":
            writer.write(upgrade_answer(key) + frame(1, b"0123456789" * 100)[:60])
        elif path == "/raw/masked":
            writer.write(upgrade_answer(key) + frame(1, b"masked", mask=b"\x01\x02\x03\x04"))
        elif path == "/raw/bad-opcode":
            writer.write(upgrade_answer(key) + frame(3, b"reserved opcode"))
        elif path == "/raw/not-utf8":
            writer.write(upgrade_answer(key) + frame(1, b"\xff\xfe bytes"))
        elif path == "/raw/too-big":
            writer.write(upgrade_answer(key) + frame(2, b"b" * 40000))
        elif path == "/raw/max-frame":
            writer.write(upgrade_answer(key) + frame(2, b"m" * 32768) + frame(1, b"after"))
        elif path == "/raw/trickle":
            writer.write(upgrade_answer(key) + frame(1, b"first") + frame(1, b"second"))
            for byte in frame(1, b"slow frame"):
                await writer.drain()
                await asyncio.sleep(0.01)
                writer.write(bytes([byte]))
        elif path == "/raw/count-pings":
            writer.write(upgrade_answer(key))
            while True:
                opcode, masked, data = await read_frame(reader)
                if opcode == 9:
                    writer.write(frame(1, b"ping %d masked=%d" % (len(data), masked)))
                elif opcode == 8:
                    break
        await writer.drain()
        if path in ("/raw/trickle", "/raw/max-frame", "/raw/masked", "/raw/too-big", "/raw/not-utf8", "/raw/bad-opcode"):
            await asyncio.sleep(5)
    except (asyncio.IncompleteReadError, ConnectionError, StopIteration, IndexError):
        pass
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--raw-port", type=int)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--lifetime", type=float, default=60)
    args = parser.parse_args()
    context = None
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
    async with websockets.serve(handler, args.host, args.port, ssl=context, compression=None, ping_interval=None):
        if args.raw_port:
            raw = await asyncio.start_server(raw_handler, "127.0.0.1", args.raw_port)
        await asyncio.sleep(args.lifetime)


if __name__ == "__main__":
    asyncio.run(main())
