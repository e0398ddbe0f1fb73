"""The tutorial's server, as its SOCK_DGRAM version reads: bind 0.0.0.0:5000
(or the port given), print each message with its sender, reply "Mensagem
recebida". A reference peer for lanmsg-client --udp; it prints its port
first so a test can use an ephemeral one."""
import socket
import sys

HOST = "127.0.0.1" if len(sys.argv) > 2 else "0.0.0.0"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((HOST, PORT))
print("port", s.getsockname()[1], flush=True)
while True:
    data, addr = s.recvfrom(1024)
    print("Recebido de %s: %s" % (addr, data.decode("utf-8", "replace")), flush=True)
    s.sendto("Mensagem recebida".encode("utf-8"), addr)
