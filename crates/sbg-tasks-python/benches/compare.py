"""sbg_tasks beside sevenbridges-python: one process, the same mock platform over TLS.

    maturin develop --release -m crates/sbg-tasks-python/Cargo.toml
    pip install sevenbridges-python
    python crates/sbg-tasks-python/benches/compare.py            # ≈ 1 minute
    python crates/sbg-tasks-python/benches/compare.py --quick    # a smoke run

Three measurements, each as a ratio of the two clients in the same run (benches/README.md
has the figures and the machine):

1. get a task: µs per call, sequential, warm connections; rounds of the two interleaved so
   that they share the machine's noise; the median round.
2. following 1 000 running tasks to their end: requests spent and time to notice each end
   (the time from the end the mock planned to the moment the client reports it), with
   `api.tasks.watch(ids)` against `Task.wait()` per task in a thread pool (100 threads:
   sevenbridges-python's own `max_parallel_requests`), both polling every `--period` s.
3. memory held for 10 000 tasks fetched with `bulk_get`: the growth of the resident set of a
   fresh child process holding them (Rust allocations are invisible to tracemalloc).

The mock's rate limit is off: sevenbridges-python would spend most of measurement 2 asleep
after 429s. Requests spent is what the platform's limit (1 000 per 5 minutes) would charge.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import sevenbridges

import sbg_tasks

HERE = os.path.abspath(__file__)


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def clients(m, **ours):
    os.environ["REQUESTS_CA_BUNDLE"] = str(m.ca_path)
    theirs = sevenbridges.Api(url=m.url, token=m.token)
    mine = sbg_tasks.Api(url=m.url, token=m.token, ca_bundle=m.ca_path, **ours)
    return theirs, mine


def get_latency(m, calls, rounds):
    theirs, mine = clients(m)
    tid = m.task_ids()[1]
    for _ in range(50):
        theirs.tasks.get(tid)
        mine.tasks.get(tid)
    runs = {"sevenbridges-python": lambda: theirs.tasks.get(tid), "sbg_tasks": lambda: mine.tasks.get(tid)}
    times = {name: [] for name in runs}
    for _ in range(rounds):
        for name, get in runs.items():
            start = time.perf_counter()
            for _ in range(calls):
                get()
            times[name].append((time.perf_counter() - start) / calls * 1e6)
    return {name: statistics.median(t) for name, t in times.items()}


def running_tasks(m, n):
    """n tasks that run now and end 2 to 8 s from now (spread evenly): ids and planned ends."""
    ends = {}
    for i in range(n):
        after = 2.0 + (i * 37 % 60) / 10.0
        tid = m.insert_running(
            {"name": f"follow-{i}", "project": "bench/follow", "app": "bench/follow/app/1"},
            running_after=0.5,
            ends_after=after,
        )
        ends[tid] = time.monotonic() + after
    return ends


def summary(m, before, ends, noticed, started):
    lags = sorted(noticed[t] - ends[t] for t in ends)
    return {
        "requests": m.request_count() - before,
        "lag_median_s": statistics.median(lags),
        "lag_p95_s": lags[int(len(lags) * 0.95) - 1],
        "lag_max_s": lags[-1],
        "wall_s": max(noticed.values()) - started,
    }


def follow_ours(m, n, period):
    _, mine = clients(m, poll_interval=period)
    ends = running_tasks(m, n)
    before, started, noticed = m.request_count(), time.monotonic(), {}
    for event in mine.tasks.watch(list(ends)):
        if event.kind == "ended":
            noticed[event.id] = time.monotonic()
    return summary(m, before, ends, noticed, started)


def follow_theirs(m, n, period, threads):
    theirs, _ = clients(m)
    ends = running_tasks(m, n)
    before, started, noticed = m.request_count(), time.monotonic(), {}
    lock = threading.Lock()

    def wait(tid):
        task = theirs.tasks.get(tid)
        task.wait(period=period)
        with lock:
            noticed[tid] = time.monotonic()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(wait, list(ends)))
    return summary(m, before, ends, noticed, started)


def memory_child(which, url, token, ca, ids_file):
    with open(ids_file) as f:
        ids = json.load(f)
    os.environ["REQUESTS_CA_BUNDLE"] = ca
    if which == "sbg_tasks":
        api = sbg_tasks.Api(url=url, token=token, ca_bundle=ca)
        api.tasks.bulk_get(ids[:100])  # warm: the client, the connection
        base = rss_kib()
        held = [r.resource for r in api.tasks.bulk_get(ids)]
    else:
        api = sevenbridges.Api(url=url, token=token)
        api.tasks.bulk_get(ids[:100])
        base = rss_kib()
        held = []
        for i in range(0, len(ids), 100):
            held.extend(r.resource for r in api.tasks.bulk_get(ids[i : i + 100]))
    assert len(held) == len(ids) and all(t is not None for t in held)
    grown = rss_kib() - base
    print(json.dumps({"tasks": len(held), "rss_growth_kib": grown}))


def memory(m, n, tmp):
    example = m.task(m.task_ids()[1])
    for key in ("id", "href"):
        example.pop(key, None)
    ids = [m.insert_task(dict(example, name=f"mem-{i}")) for i in range(n)]
    ids_file = os.path.join(tmp, "ids.json")
    with open(ids_file, "w") as f:
        json.dump(ids, f)
    out = {}
    for which in ("sevenbridges-python", "sbg_tasks"):
        child = subprocess.run(
            [sys.executable, HERE, "--memory-child", which, m.url, m.token, str(m.ca_path), ids_file],
            check=True, capture_output=True, text=True,
        )
        out[which] = json.loads(child.stdout.strip().splitlines()[-1])
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--period", type=float, default=2.0)
    p.add_argument("--threads", type=int, default=100)
    p.add_argument("--memory-child", nargs=5)
    a = p.parse_args()
    if a.memory_child:
        memory_child(*a.memory_child)
        return
    calls, rounds, follow_n, mem_n = (200, 3, 100, 1000) if a.quick else (1000, 7, 1000, 10000)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp, sbg_tasks.mock(tls=True, no_rate_limit=True, wall_time=3600) as m:
        print(f"sevenbridges-python {sevenbridges.__version__}, sbg_tasks {sbg_tasks.__version__}, "
              f"mock at {m.url} (TLS), Python {sys.version.split()[0]}")
        lat = get_latency(m, calls, rounds)
        ratio = lat["sevenbridges-python"] / lat["sbg_tasks"]
        print(f"\n1. get a task, {calls} calls x {rounds} rounds, median round:")
        for name, us in lat.items():
            print(f"   {name:20} {us:8.1f} us/call")
        print(f"   sbg_tasks is {ratio:.1f}x faster")

        print(f"\n2. following {follow_n} running tasks to their end (poll period {a.period} s):")
        theirs = follow_theirs(m, follow_n, a.period, a.threads)
        ours = follow_ours(m, follow_n, a.period)
        for name, r in ((f"sevenbridges-python Task.wait() x {a.threads} threads", theirs), ("sbg_tasks watch", ours)):
            print(f"   {name:45} requests {r['requests']:6}  time to notice median {r['lag_median_s']:.2f} s,"
                  f" p95 {r['lag_p95_s']:.2f} s, max {r['lag_max_s']:.2f} s  (wall {r['wall_s']:.1f} s)")
        print(f"   requests: {theirs['requests'] / ours['requests']:.1f}x fewer with sbg_tasks")

        print(f"\n3. memory held for {mem_n} tasks (bulk_get, resident set growth of a fresh process):")
        mem = memory(m, mem_n, tmp)
        for name, r in mem.items():
            print(f"   {name:20} {r['rss_growth_kib'] / 1024:8.1f} MiB  ({r['rss_growth_kib'] * 1024 / r['tasks']:.0f} bytes/task)")
        print(f"   sbg_tasks holds {mem['sevenbridges-python']['rss_growth_kib'] / max(1, mem['sbg_tasks']['rss_growth_kib']):.1f}x less")


if __name__ == "__main__":
    main()
