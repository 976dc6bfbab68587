"""A tiny OpenAI-compatible endpoint for the HTTP judge tests.

POST /v1/chat/completions replies "Score: 3" with top_logprobs giving P(yes) = 0.75.
A prompt containing SLOW sleeps 3 s first; FLAKY fails with HTTP 500 on its first request.
It writes how many completion requests arrived to the file given as argv[1]. Prints the
port, then serves; exits when its parent (the test process) goes away, or after 5 minutes.
"""
import json
import math
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

count = 0
seen = set()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        global count
        count += 1
        with open(sys.argv[1], "w") as f:
            f.write(str(count))
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][0]["content"]
        if "SLOW" in prompt:
            time.sleep(3)
        if "FLAKY" in prompt and prompt not in seen:
            seen.add(prompt)
            self.send(500, {"error": "try again"})
            return
        top = [{"token": "Yes", "logprob": math.log(0.6)}, {"token": "no", "logprob": math.log(0.2)}]
        self.send(200, {
            "choices": [{
                "message": {"role": "assistant", "content": "Looks fine. Score: 3"},
                "logprobs": {"content": [{"token": "Yes", "logprob": math.log(0.6), "top_logprobs": top}]},
            }]
        })


# The spawning process may have left signals blocked; SIGTERM must end this server.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])


def watchdog(parent=os.getppid(), started=time.time()):
    while os.getppid() == parent and time.time() - started < 300:
        time.sleep(0.5)
    os._exit(0)


threading.Thread(target=watchdog, daemon=True).start()
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
