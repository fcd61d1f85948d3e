#!/usr/bin/env python3
"""Activity stream at scale, for BENCHMARKS.md (issue 5): memory per idle stream and the delay from a
task creation to its event's arrival at every open stream, with one stream as the baseline of the same
run. Loads 127.0.0.1 only.

Usage: python3 scripts/bench-stream.py [streams=5000] [events=20] [client threads=2]
(after: swift build -c release --product bureau; swift build -c release --product BureauBenchmarks)
(env: BENCH_BIN=the bureau binary, BENCH_CLIENT=the BureauBenchmarks binary, BENCH_CONFIG=the configuration file)
Besides its report it prints `RESULT|figure|result|baseline|target|command` lines for `make bench`.

This script starts the server and reads its memory (VmRSS, before the streams are opened and with them
open and idle for 2 s); the streams are opened, read and timed by the compiled client
`BureauBenchmarks stream-delivery`, which reads them on a few threads with poll(2) and stamps each
event's arrival with the monotonic clock just after the read that returned it. The client still shares
the machine with the server, so its delays are upper bounds on the server's, but much closer ones than
a Python event loop's. With `storage.fsync: always` an event is sent once its change is durable, after
the fsync the creation's response also waits for, so a delay counted from the response is close to zero
on an idle machine (and can be slightly negative); the delay from the request is also given.
It also reads the server's CPU time (user and system, /proc) around the loaded phase's creations, streams
still open, and prints it per creation: the figure to compare two builds by, the delays being noisier.
"""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request

BIN = os.environ.get("BENCH_BIN", ".build/release/bureau")
CLIENT = os.environ.get("BENCH_CLIENT", ".build/release/BureauBenchmarks")
# An older build may need the demo configuration of its own commit (`git show REV:fixtures/demo.yaml`).
CONFIG = os.environ.get("BENCH_CONFIG", "fixtures/demo.yaml")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid):
    """The process's user and system CPU time so far, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(count, events, threads):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    key = next(line.split("key:")[1].strip() for line in open("fixtures/demo.yaml") if "key: lb_k_" in line)
    with tempfile.TemporaryDirectory() as work:
        server = subprocess.Popen(
            [BIN, "serve", "--config", CONFIG, "--port", "0", "--data-dir", f"{work}/data",
             "--log-level", "warning", "--rate-limits-general-limit", "1000000000",
             # Thousands of streams of one user from one address: the caps are lifted for the measurement.
             "--stream-max-streams-per-user", "0", "--http-max-connections-per-client", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        client = None
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

            # The key goes to the client on its standard input, never on its command line.
            client = subprocess.Popen(
                [CLIENT, "stream-delivery", str(port), str(count), str(events), str(threads), desktop],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )
            client.stdin.write(key + "\n")
            client.stdin.flush()
            results = {}

            def expect(word):
                while True:
                    line = client.stdout.readline()
                    if not line:
                        raise RuntimeError(f"the client stopped before '{word}'")
                    if line.startswith("{"):
                        result = json.loads(line)
                        results[result["phase"]] = result
                        continue
                    if line.strip() == word:
                        return

            expect("opening")
            before = rss_kib(server.pid)
            client.stdin.write("go\n")
            client.stdin.flush()
            expect("open")
            time.sleep(2)
            after = rss_kib(server.pid)
            cpu_before = cpu_seconds(server.pid)
            client.stdin.write("go\n")
            client.stdin.flush()
            expect("measured")
            # The loaded phase's creations and their fan-out (each followed by a 50 ms pause), streams still open.
            cpu_per_creation = (cpu_seconds(server.pid) - cpu_before) / events * 1000
            client.stdin.write("go\n")
            client.stdin.flush()
            for line in client.stdout:
                if line.startswith("{"):
                    result = json.loads(line)
                    results[result["phase"]] = result
            if client.wait() != 0 or "loaded" not in results:
                raise RuntimeError("the client failed")

            print(f"streams: {count}, events: {events}, client threads: {threads}")
            print(f"memory: {before} KiB before, {after} KiB with the streams open: "
                  f"{(after - before) / count:.1f} KiB per idle stream")
            print(f"server CPU per creation with {count} streams open (with its fan-out): "
                  f"{cpu_per_creation:.1f} ms")
            for label, phase in (("1 stream (baseline)", "baseline"), (f"{count} streams", "loaded")):
                for origin, field in (("request sent", "fromRequest"), ("response received", "fromResponse")):
                    series = results[phase][field]
                    print(f"{label}, from the creation's {origin} to the event at each stream: "
                          f"p50 {series['p50']:.2f} ms, p99 {series['p99']:.2f} ms, max {series['max']:.2f} ms")
            # Machine-readable lines for `make bench` (scripts/bench-all.sh): figure|result|baseline|target|command.
            command = f"BENCH=stream make bench (python3 scripts/bench-stream.py {count} {events} {threads})"
            load = " ".join(open("/proc/loadavg").read().split()[:3])
            print(f"RESULT|memory per idle activity stream, {count} streams|{(after - before) / count:.1f} KiB "
                  f"({before} → {after} KiB)|—|< 20 KiB|{command}")
            loaded, baseline = results["loaded"]["fromResponse"], results["baseline"]["fromResponse"]
            requested = results["loaded"]["fromRequest"]
            print(f"RESULT|event delivery to {count} streams, from the creation's response|p50 {loaded['p50']:.2f} / "
                  f"p99 {loaded['p99']:.2f} / max {loaded['max']:.2f} ms (from the request: p50 {requested['p50']:.2f} / "
                  f"p99 {requested['p99']:.2f} ms; server CPU per creation {cpu_per_creation:.1f} ms; load {load})|one open stream, same run: p50 {baseline['p50']:.2f} / "
                  f"p99 {baseline['p99']:.2f} ms|p99 < 100 ms|{command}")
        finally:
            if client and client.poll() is None:
                client.kill()
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    arguments = [int(value) for value in sys.argv[1:4]]
    main(*(arguments + [5000, 20, 2][len(arguments):]))
