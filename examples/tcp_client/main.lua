-- A TCP client that sends ten lines to an echo server (examples/tcp_server, or: socat TCP-LISTEN:40000,fork EXEC:cat)
PROJECT = "tcp_client"
VERSION = "1.0.0"
sys = require("sys")
require("sysplus")

require("echo_client").start("client", "127.0.0.1", 40000, 10)
sys.run()
