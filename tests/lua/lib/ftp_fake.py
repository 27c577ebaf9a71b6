"""A misbehaving FTP server for luatnet's ftp tests, on 127.0.0.1 only, one client at a time.

It logs in anyone and answers TYPE, then misbehaves as --kind says:
  short   RETR sends half of what SIZE announced, closes the data connection and says 226
  drop    RETR sends some bytes, then closes the data and the control connection without a reply
  flood   NOOP is answered by a multi-line reply that never ends
"""
import argparse
import socket


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--kind", required=True)
    args = parser.parse_args()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(4)
    while True:
        control, _ = listener.accept()
        try:
            serve(control, args.kind)
        except OSError:
            pass
        control.close()


def serve(control, kind):
    lines = control.makefile("rb")
    control.sendall(b"220 fake ready\r\n")
    data_listener = None
    while True:
        line = lines.readline()
        if not line:
            return
        command = line.decode("latin-1").strip()
        verb = command.split(" ")[0].upper()
        if verb == "USER":
            control.sendall(b"331 password please\r\n")
        elif verb == "PASS":
            control.sendall(b"230 welcome\r\n")
        elif verb == "TYPE":
            control.sendall(b"200 type set\r\n")
        elif verb == "SIZE":
            control.sendall(b"213 1000\r\n")
        elif verb == "PASV":
            data_listener = socket.socket()
            data_listener.bind(("127.0.0.1", 0))
            data_listener.listen(1)
            port = data_listener.getsockname()[1]
            control.sendall(b"227 Entering Passive Mode (127,0,0,1,%d,%d)\r\n" % (port >> 8, port & 0xFF))
        elif verb == "RETR":
            data, _ = data_listener.accept()
            control.sendall(b"150 here it comes\r\n")
            data.sendall(b"d" * 500)
            data.close()
            if kind == "drop":
                return
            control.sendall(b"226 done\r\n")
        elif verb == "NOOP" and kind == "flood":
            control.sendall(b"211-start\r\n")
            while True:
                control.sendall(b" more of the same reply\r\n" * 100)
        elif verb == "QUIT":
            control.sendall(b"221 bye\r\n")
            return
        else:
            control.sendall(b"502 not here\r\n")


if __name__ == "__main__":
    main()
