#!/usr/bin/env python3
"""Delivery figures for bench/ingest.sh, with a loopback webhook receiver.

    delivery.py receive PORT
        A receiver answering 200 at once; it notes when each webhook arrived (keyed
        by the `email` of its JSON body). `GET /stats` answers what it saw.
    delivery.py latency SERVICE_URL WEB_KEY RECEIVER_URL COUNT
        Post COUNT leads one after another (the key's plan calls the receiver at
        once) and print the lead-to-first-attempt latency: "p50_ms p99_ms".
    delivery.py drain RECEIVER_URL
        Wait until the receiver has seen nothing new for 3 s; print the webhooks
        it received and the rate over their span: "count per_second".
    delivery.py queue SERVICE_URLS WEB_KEY COUNT PREFIX
        Post exactly COUNT leads, the i-th with the email PREFIXi@example.com,
        spread in turn over the comma-separated services (a few keep-alive
        connections to each); print "posted answered_200".
    delivery.py tally RECEIVER_URL PREFIX COUNT TIMEOUT_S
        Wait until the webhooks of all COUNT leads of `queue` have arrived (or
        nothing new came for 10 s, or TIMEOUT_S passed), then 2 s more for late
        duplicates; print "delivered distinct duplicates missing per_second"
        (the rate: deliveries over the span from the first to the last arrival).
"""

import json
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARRIVALS = {}
COUNTS = {}
LOCK = threading.Lock()


class Server(ThreadingHTTPServer):
    # The standard listen backlog is 5: a worker opening its connections at once
    # overflows it, and each dropped SYN is retried by the kernel a second later
    # (a few webhooks arriving 1 s late stretched the drain's span).
    request_queue_size = 1024
    daemon_threads = True


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The answer's headers and body go out in separate writes: with Nagle's algorithm
    # on, the body waits for the client's delayed ACK (40 ms per webhook on Linux).
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def answer(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        now = time.time()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            email = json.loads(body).get("email", "")
        except ValueError:
            email = ""
        with LOCK:
            key = email or f"anon{len(ARRIVALS)}"
            ARRIVALS.setdefault(key, now)
            COUNTS[key] = COUNTS.get(key, 0) + 1
        self.answer(b"{}")

    def do_GET(self):
        with LOCK:
            if self.path == "/counts":
                body = json.dumps({"first": ARRIVALS, "counts": COUNTS}).encode()
            else:
                body = json.dumps(ARRIVALS).encode()
        self.answer(body)


def receive(port):
    server = Server(("127.0.0.1", int(port)), Receiver)
    server.daemon_threads = True
    server.serve_forever()


def stats(receiver):
    with urllib.request.urlopen(f"{receiver}/stats") as answer:
        return json.load(answer)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def latency(service, key, receiver, count):
    sent = {}
    for i in range(int(count)):
        email = f"latency{i}-{time.time_ns()}@example.com"
        body = urllib.parse.urlencode(
            {"web_key": key, "firstName": "Ann", "lastName": "Lee", "email": email}
        ).encode()
        sent[email] = time.time()
        request = urllib.request.Request(
            f"{service}/v1/external-api/external-form-lead", data=body, method="POST"
        )
        urllib.request.urlopen(request).read()
        time.sleep(0.01)
    deadline = time.time() + 30
    while time.time() < deadline:
        seen = stats(receiver)
        if all(e in seen for e in sent):
            break
        time.sleep(0.2)
    waits = [(seen[e] - t) * 1000 for e, t in sent.items() if e in seen]
    if not waits:
        print("n/a n/a")
        return
    print(f"{percentile(waits, 50):.1f} {percentile(waits, 99):.1f}")


def drain(receiver):
    last, still = -1, 0.0
    while still < 3:
        count = len(stats(receiver))
        if count == last:
            still += 0.5
        else:
            last, still = count, 0.0
        time.sleep(0.5)
    times = sorted(stats(receiver).values())
    span = times[-1] - times[0] if len(times) > 1 else 0
    rate = len(times) / span if span > 0 else 0
    print(f"{len(times)} {rate:.0f}")


def queue(services, key, count, prefix):
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    services = [urllib.parse.urlsplit(s) for s in services.split(",")]
    count = int(count)
    per_service = 4
    lanes = len(services) * per_service

    def lane(n):
        target = services[n % len(services)]
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        ok = 0
        for i in range(n, count, lanes):
            body = urllib.parse.urlencode(
                {"web_key": key, "firstName": "Ann", "lastName": f"Lee{i}",
                 "email": f"{prefix}{i}@example.com"}
            )
            conn.request("POST", "/v1/external-api/external-form-lead", body,
                         {"Content-Type": "application/x-www-form-urlencoded"})
            answer = conn.getresponse()
            answer.read()
            ok += answer.status == 200
        conn.close()
        return ok

    with ThreadPoolExecutor(lanes) as pool:
        answered = sum(pool.map(lane, range(lanes)))
    print(f"{count} {answered}")


def tally(receiver, prefix, count, timeout):
    expected = {f"{prefix}{i}@example.com" for i in range(int(count))}
    deadline = time.time() + float(timeout)
    last, still = -1, 0.0
    while time.time() < deadline and still < 10:
        with urllib.request.urlopen(f"{receiver}/counts") as answer:
            seen = json.load(answer)["counts"]
        distinct = len(expected.intersection(seen))
        if distinct == len(expected):
            break
        if distinct == last:
            still += 0.5
        else:
            last, still = distinct, 0.0
        time.sleep(0.5)
    time.sleep(2)
    with urllib.request.urlopen(f"{receiver}/counts") as answer:
        seen = json.load(answer)
    counts, first = seen["counts"], seen["first"]
    delivered = sum(n for e, n in counts.items() if e in expected)
    distinct = len(expected.intersection(counts))
    duplicates = delivered - distinct
    missing = len(expected) - distinct
    times = sorted(t for e, t in first.items() if e in expected)
    span = times[-1] - times[0] if len(times) > 1 else 0
    rate = delivered / span if span > 0 else 0
    print(f"{delivered} {distinct} {duplicates} {missing} {rate:.0f}")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    commands = {"receive": receive, "latency": latency, "drain": drain,
                "queue": queue, "tally": tally}
    commands[command](*args)
