#!/usr/bin/python3
"""A fixed-answer HTTP/1.1 server for request-rate measurements: one asyncio thread, every request gets
"hello world"; keep-alive unless the request says Connection: close. usage: fixed_server.py PORT"""
import asyncio
import sys

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello world"


class Answer(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.pending = b""

    def data_received(self, data):
        self.pending += data
        while b"\r\n\r\n" in self.pending:
            head, self.pending = self.pending.split(b"\r\n\r\n", 1)
            self.transport.write(ANSWER)
            if b"\r\nconnection: close" in head.lower():
                self.transport.close()
                return


async def main():
    server = await asyncio.get_running_loop().create_server(Answer, "127.0.0.1", int(sys.argv[1]), backlog=1024)
    async with server:
        await server.serve_forever()


asyncio.run(main())
