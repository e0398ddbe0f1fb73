"""The tutorial's client, as its SOCK_DGRAM version reads: send "Olá
servidor!" to 127.0.0.1:5000 (or the port given) and print the reply. A
reference peer for lanmsg-server --udp; it waits at most 5 s."""
import socket
import sys

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto("Olá servidor!".encode("utf-8"), ("127.0.0.1", PORT))
data, addr = s.recvfrom(1024)
print("Resposta do servidor:", data.decode("utf-8"))
