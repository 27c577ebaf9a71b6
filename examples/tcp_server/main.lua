-- A TCP echo server for many clients. Try it with: ncat 127.0.0.1 40000
PROJECT = "tcp_server"
VERSION = "1.0.0"
sys = require("sys")
require("sysplus")

require("echo_server").start(40000)
sys.run()
