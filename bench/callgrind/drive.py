#!/usr/bin/env python3
"""Sends N stateless (2026-07-28) `tools/call` requests of `mul` (x=25,
y=17) to http://HOST:PORT/mcp, one after another on one keep-alive
connection, and checks every answer holds 425.

usage: drive.py HOST PORT N
"""
import socket
import sys

BODY = (
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"mul",'
    '"arguments":{"x":25,"y":17},"_meta":{'
    '"io.modelcontextprotocol/protocolVersion":"2026-07-28",'
    '"io.modelcontextprotocol/clientCapabilities":{}}}}'
)


def request(host, port):
    head = (
        f"POST /mcp HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/json\r\n"
        "Accept: application/json, text/event-stream\r\n"
        "MCP-Protocol-Version: 2026-07-28\r\n"
        "Mcp-Method: tools/call\r\nMcp-Name: mul\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    )
    return (head + BODY).encode()


def response(sock, buffer):
    """One HTTP response (chunked or with a length) and what follows it."""
    while True:
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            head = buffer[:end].decode().lower()
            if "transfer-encoding: chunked" in head:
                last = buffer.find(b"\r\n0\r\n\r\n", end)
                if last >= 0:
                    return buffer[: last + 7], buffer[last + 7 :]
            else:
                length = [l for l in head.split("\r\n") if l.startswith("content-length:")]
                if length:
                    total = end + 4 + int(length[0].split(":")[1])
                    if len(buffer) >= total:
                        return buffer[:total], buffer[total:]
        data = sock.recv(65536)
        if not data:
            sys.exit("the server closed the connection")
        buffer += data


def main():
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    payload = request(host, port)
    sock = socket.create_connection((host, port))
    buffer = b""
    for _ in range(count):
        sock.sendall(payload)
        answer, buffer = response(sock, buffer)
        if b"425" not in answer or b'"isError":true' in answer:
            sys.exit(f"unexpected answer: {answer[:400]!r}")
    print(f"{count} calls answered 425")


if __name__ == "__main__":
    main()
