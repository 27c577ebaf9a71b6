"""A misbehaving MQTT broker for mqtt_bad_broker_test.lua: it listens on 127.0.0.1:PORT, reads the client's
CONNECT and then breaks the protocol in the way MODE names. Run under a time limit by the test."""
import socket
import sys
import time

MODE, PORT = sys.argv[1], int(sys.argv[2])
CONNACK_OK = bytes([0x20, 0x02, 0x00, 0x00])


def receive(conn, count):
    chunk = conn.recv(count)
    if not chunk:
        raise OSError("closed")  # e.g. the test's probe that only checks the port is open
    return chunk


def read_packet(conn):
    """One whole packet (the CONNECT); returns its bytes."""
    data = b""
    while len(data) < 2:
        data += receive(conn, 1)
    length, shift, i = 0, 0, 1
    while True:
        while len(data) <= i:
            data += receive(conn, 1)
        length |= (data[i] & 0x7F) << shift
        shift += 7
        if not data[i] & 0x80:
            break
        i += 1
    while len(data) < i + 1 + length:
        data += receive(conn, i + 1 + length - len(data))
    return data


def serve(conn):
    read_packet(conn)
    if MODE == "midpacket":
        # CONNACK, then half of a PUBLISH (topic "t", payload of 10 bytes announced), then a close
        conn.sendall(CONNACK_OK + bytes([0x30, 0x0D, 0x00, 0x01, ord("t"), ord("a"), ord("b")]))
        time.sleep(0.3)
    elif MODE == "huge":
        # a PUBLISH announcing 256 MB, then megabytes of filler for as long as the client reads
        conn.sendall(CONNACK_OK + bytes([0x30, 0xFF, 0xFF, 0xFF, 0x7F]))
        try:
            for _ in range(256):
                conn.sendall(b"\x55" * 65536)
        except OSError:
            pass
    elif MODE == "garbage":
        conn.sendall(bytes([0x30, 0x05, 0x00, 0x01, ord("x"), 0xDE, 0xAD]) + bytes(range(256)))
        time.sleep(2)
    elif MODE == "badqos":
        conn.sendall(CONNACK_OK + bytes([0x36, 0x05, 0x00, 0x01, ord("t"), 0x00, 0x01]))
        time.sleep(2)
    elif MODE == "twice":
        conn.sendall(CONNACK_OK + CONNACK_OK)
        time.sleep(2)
    elif MODE == "silent":
        time.sleep(20)


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", PORT))
server.listen(4)
while True:
    client, _ = server.accept()
    try:
        serve(client)
    except OSError:
        pass
    client.close()
