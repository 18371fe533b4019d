# The http case's server: python3's http.server on 127.0.0.1 (the folder it
# runs in), plus two paths for decompress: /gz answers a gzip-encoded body
# whatever the request asked, /ae echoes the request's Accept-Encoding.
import gzip
import http.server
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_HEAD(self):
        self.answer(False)

    def do_GET(self):
        self.answer(True)

    def answer(self, with_body):
        if self.path in ("/gz", "/ae"):
            if self.path == "/gz":
                body = gzip.compress(b"unpacked\n", mtime=0)
            else:
                body = (self.headers.get("Accept-Encoding") or "none").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            if self.path == "/gz":
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)
            return
        if with_body:
            super().do_GET()
        else:
            super().do_HEAD()


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
