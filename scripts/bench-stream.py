#!/usr/bin/env python3
"""Activity stream at scale, for BENCHMARKS.md (issue 5): memory per idle stream and the delay from a
task creation to its event's arrival at every open stream, with one stream as the baseline of the same
run. Loads 127.0.0.1 only.

Usage: python3 scripts/bench-stream.py [streams=5000] [events=20]   (after: swift build -c release)

The client is one Python asyncio loop on the same machine as the server, so the delays it reports
include its own time to read every socket: they are upper bounds on the server's. With `storage.fsync:
always` an event is sent when its change is applied, before the fsync the creation's response waits
for, so a delay counted from the response can be negative; the delay from the request is also given.
"""
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

BIN = os.environ.get("BENCH_BIN", ".build/release/bureau")
STREAM = "/api/mission-control/activity/stream"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class Stream:
    def __init__(self):
        self.arrivals = []

    async def open(self, port, key):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        request = f"GET {STREAM} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: {key}\r\n\r\n"
        self.writer.write(request.encode())
        await self.reader.readuntil(b"retry: ")
        self.task = asyncio.ensure_future(self.read())

    async def read(self):
        while True:
            data = await self.reader.read(65536)
            if not data:
                return
            now = time.monotonic()
            self.arrivals.extend([now] * data.count(b"event: task.created"))


async def create_task(port, key, desktop):
    sent = time.monotonic()
    body = json.dumps({"type": "prompt", "content": "bench", "desktopId": desktop}).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST /api/mission-control/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode() + body)
    status = await reader.readline()
    answered = time.monotonic()
    assert b" 201 " in status, status
    writer.close()
    return sent, answered


async def deliveries(streams, port, key, desktop, events):
    from_request, from_response = [], []
    for index in range(events):
        sent, answered = await create_task(port, key, desktop)
        deadline = time.monotonic() + 10
        while any(len(s.arrivals) <= index for s in streams) and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        missing = sum(1 for s in streams if len(s.arrivals) <= index)
        if missing:
            raise RuntimeError(f"{missing} streams missed event {index}")
        from_request.extend((s.arrivals[index] - sent) * 1000 for s in streams)
        from_response.extend((s.arrivals[index] - answered) * 1000 for s in streams)
        await asyncio.sleep(0.05)
    return from_request, from_response


async def main(count, events):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    key = next(line.split("key:")[1].strip() for line in open("fixtures/demo.yaml") if "key: lb_k_" in line)
    with tempfile.TemporaryDirectory() as work:
        server = subprocess.Popen(
            [BIN, "serve", "--config", "fixtures/demo.yaml", "--port", "0", "--data-dir", f"{work}/data",
             "--log-level", "warning", "--rate-limits-general-limit", "1000000000"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        try:
            url = ""
            while not url:
                line = server.stdout.readline()
                if not line:
                    raise RuntimeError("the server did not start")
                if line.startswith("Bureau is serving on "):
                    url = line.split()[-1]
            port = int(url.rsplit(":", 1)[1])
            listing = urllib.request.Request(url + "/api/desktops", headers={"x-api-key": key})
            desktop = json.load(urllib.request.urlopen(listing))["data"][0]["id"]

            single = Stream()
            await single.open(port, key)
            baseline = await deliveries([single], port, key, desktop, events)
            single.task.cancel()
            single.writer.close()
            await asyncio.sleep(0.5)

            before = rss_kib(server.pid)
            streams = [Stream() for _ in range(count)]
            for start in range(0, count, 250):
                await asyncio.gather(*(s.open(port, key) for s in streams[start:start + 250]))
            await asyncio.sleep(2)
            after = rss_kib(server.pid)
            delays = await deliveries(streams, port, key, desktop, events)

            print(f"streams: {count}, events: {events}")
            print(f"memory: {before} KiB before, {after} KiB with the streams open: "
                  f"{(after - before) / count:.1f} KiB per idle stream")
            for label, values in (("1 stream (baseline)", baseline), (f"{count} streams", delays)):
                for origin, series in zip(("request sent", "response received"), values):
                    print(f"{label}, from the creation's {origin} to the event at each stream: "
                          f"p50 {statistics.median(series):.2f} ms, p99 {percentile(series, 0.99):.2f} ms, "
                          f"max {max(series):.2f} ms")
            for stream in streams:
                stream.task.cancel()
                stream.writer.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000, int(sys.argv[2]) if len(sys.argv) > 2 else 20))
