#!/usr/bin/env python3
"""The Python client of the benchmark: what many partners write instead of using the SDK.

A `requests.Session` (connections are reused), one token fetched once with the client
credentials, then the same seats calls as the Rust runner (`avepoint-bench client`), over the
same workload file. Prints one JSON object with the same shape as the runner's RunResult.

    AVEPOINT_BASE_URL=... AVEPOINT_TOKEN_URL=... AVEPOINT_CLIENT_ID=... AVEPOINT_CLIENT_SECRET=... \
      python3 seats_bench.py --workload target/bench/workload.json --mode latency --calls 1000

Exit status: 0 when the run completed (errors and mismatches are reported in the JSON),
2 on bad usage, 3 when `requests` is missing.
"""

import argparse
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

try:
    import requests
    from requests.adapters import HTTPAdapter
except ImportError:  # pragma: no cover - reported to the suite
    print("the Python package `requests` is not installed", file=sys.stderr)
    sys.exit(3)

SCOPE = "elements.license.read.all"


def env(name):
    value = os.environ.get(name)
    if not value:
        print(f"{name} is not set", file=sys.stderr)
        sys.exit(2)
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", required=True)
    parser.add_argument("--mode", choices=["latency", "throughput"], required=True)
    parser.add_argument("--calls", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument(
        "--honour-retry-after",
        action="store_true",
        help="on 429/503, sleep the Retry-After seconds and try again (4 attempts in all)",
    )
    args = parser.parse_args()
    attempts = 4 if args.honour_retry_after else 1

    base_url = env("AVEPOINT_BASE_URL").rstrip("/")
    token_url = env("AVEPOINT_TOKEN_URL")
    client_id = env("AVEPOINT_CLIENT_ID")
    client_secret = env("AVEPOINT_CLIENT_SECRET")

    with open(args.workload, encoding="utf-8") as f:
        workload = json.load(f)
    customers = workload["customers"]
    tenant_type = workload["tenant_type"]
    concurrency = 1 if args.mode == "latency" else max(1, args.concurrency)

    session = requests.Session()
    # One pool slot per worker thread, so no connection is opened and thrown away.
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=concurrency)
    session.mount("http://", adapter)
    session.mount("https://", adapter)

    token = session.post(
        token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": SCOPE,
        },
    )
    token.raise_for_status()
    headers = {"Authorization": "Bearer " + token.json()["access_token"]}

    def call(i):
        customer_id = customers[i % len(customers)]["id"]
        url = (
            f"{base_url}/partner/external/v3/general/customers/{requests.utils.quote(customer_id, safe='')}"
            f"/3rd-party-products/type/{tenant_type}/users"
        )
        try:
            for attempt in range(1, attempts + 1):
                r = session.post(url, json={}, headers=headers)
                if r.status_code not in (429, 503) or attempt == attempts:
                    break
                try:
                    wait = float(r.headers.get("Retry-After", "1"))
                except ValueError:
                    wait = 1.0
                time.sleep(min(max(wait, 0.0), 60.0))
            if r.status_code != 200:
                return i, None, f"HTTP {r.status_code}"
            return i, r.json(), None
        except Exception as e:  # noqa: BLE001 - every failure is counted, not raised
            return i, None, str(e)

    outcomes = []
    latencies_us = []
    if args.mode == "latency":
        for i in range(args.warmup):
            outcomes.append(call(i))
        started = time.perf_counter()
        for i in range(args.calls):
            t = time.perf_counter()
            outcome = call(i)
            latencies_us.append((time.perf_counter() - t) * 1e6)
            outcomes.append(outcome)
        elapsed = time.perf_counter() - started
    else:
        def concurrent(calls, workers):
            lock = threading.Lock()
            counter = [0]
            results = []

            def worker():
                local = []
                while True:
                    with lock:
                        i = counter[0]
                        counter[0] += 1
                    if i >= calls:
                        break
                    local.append(call(i))
                return local

            with ThreadPoolExecutor(max_workers=workers) as pool:
                futures = [pool.submit(worker) for _ in range(workers)]
                for fut in futures:
                    results.extend(fut.result())
            return results

        if args.warmup > 0:
            outcomes.extend(concurrent(args.warmup, min(concurrency, args.warmup)))
        started = time.perf_counter()
        outcomes.extend(concurrent(args.calls, concurrency))
        elapsed = time.perf_counter() - started

    errors = mismatches = 0
    first_problem = None
    for i, got, error in outcomes:
        want = customers[i % len(customers)]
        if error is not None:
            errors += 1
            first_problem = first_problem or f"call {i} failed: {error}"
        elif got != want["tenants"]:
            mismatches += 1
            first_problem = first_problem or (
                f"call {i} (customer {want['id']}): got {len(got) if isinstance(got, list) else got!r} "
                f"tenant(s), expected {len(want['tenants'])}"
            )

    json.dump(
        {
            "client": "python",
            "mode": args.mode,
            "concurrency": concurrency,
            "calls": args.calls,
            "elapsed_s": elapsed,
            "calls_per_sec": args.calls / elapsed if elapsed > 0 else 0.0,
            "latencies_us": latencies_us,
            "errors": errors,
            "mismatches": mismatches,
            "first_problem": first_problem,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
