"""tests/strace_programs.rs: a Python program that opens files, sockets and
threads. Run as `python3 files_sockets_threads.py DIR`; everything it writes is under DIR."""
import os
import socket
import sys
import threading

work = sys.argv[1]


def files(n):
    path = os.path.join(work, f"thread-{n}.txt")
    with open(path, "w") as f:
        f.write(f"line from thread {n}\n" * 3)
    with open(path) as f:
        data = f.read()
    os.rename(path, path + ".done")
    os.stat(path + ".done")
    os.unlink(path + ".done")
    return len(data)


# Files: create, append, read back, a directory, a symlink.
os.mkdir(os.path.join(work, "sub"), 0o750)
fd = os.open(os.path.join(work, "sub", "a.bin"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
os.write(fd, b"\x00\x01binary\xff" * 4)
os.fsync(fd)
os.close(fd)
os.symlink("a.bin", os.path.join(work, "sub", "link"))
os.readlink(os.path.join(work, "sub", "link"))
with open(os.path.join(work, "sub", "link"), "rb") as f:
    f.seek(3)
    f.read(5)
os.access(os.path.join(work, "sub"), os.W_OK)
os.chmod(os.path.join(work, "sub", "a.bin"), 0o600)
os.listdir(os.path.join(work, "sub"))

# Sockets: a pair, TCP over loopback (port chosen by the kernel), UDP.
a, b = socket.socketpair()
a.sendall(b"ping")
b.recv(16)
a.close()
b.close()
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(4)
port = srv.getsockname()[1]
cli = socket.create_connection(("127.0.0.1", port))
conn, _ = srv.accept()
cli.sendall(b"hello over tcp")
conn.recv(64)
conn.sendall(b"bye")
cli.recv(64)
cli.shutdown(socket.SHUT_WR)
conn.close()
cli.close()
srv.close()
u1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u1.bind(("127.0.0.1", 0))
u2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u2.sendto(b"datagram", u1.getsockname())
u1.recvfrom(64)
u1.close()
u2.close()

# Threads: each writes, reads, renames and removes its own file.
threads = [threading.Thread(target=files, args=(n,)) for n in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("mix done")
