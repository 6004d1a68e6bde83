"""tests/strace_programs.rs: a loopback HTTP request. An HTTP server on
127.0.0.1 (port chosen by the kernel) serves DIR in a thread; curl fetches a
file from it, then urllib does. Run as `python3 loopback_http.py DIR`."""
import functools
import http.server
import subprocess
import sys
import threading
import urllib.request

work = sys.argv[1]
with open(f"{work}/index.txt", "w") as f:
    f.write("hello from argtrace's loopback server\n")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


handler = functools.partial(Quiet, directory=work)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
port = server.server_address[1]
thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
thread.start()
url = f"http://127.0.0.1:{port}/index.txt"
body = subprocess.run(["curl", "-sS", url], check=True, capture_output=True).stdout
with urllib.request.urlopen(url) as r:
    assert r.read() == body
server.shutdown()
thread.join()
server.server_close()
print("http done")
