"""Throughput of the local MTurk: CreateHIT per second and ListHITs pages (100 HITs each) per
second with 10,000 HITs stored, 8 concurrent boto3 clients, one emulator process.

    .venv/bin/python benchmarks/emulator.py [--hits 10000] [--clients 8] [--rounds 5]
        [--database PATH_OR_URL] [--no-write]

Each figure is the median over `--rounds` rounds; the medians go to docs/benchmarks.md (the
section between the `emulator` markers is replaced, the rest of the file is left alone).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.common import machine, write_section  # noqa: E402
from tests.fixtures.emulator import make_mturk_client, start_emulator  # noqa: E402

QUESTION = (
    '<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
    '2011-11-11/HTMLQuestion.xsd"><HTMLContent><![CDATA[<p>Benchmark</p>]]></HTMLContent>'
    "<FrameHeight>0</FrameHeight></HTMLQuestion>"
)


class RawClient:
    """A lean MTurk client: SigV4-signed JSON over one keep-alive HTTP connection.

    boto3 spends several milliseconds of CPU per page of 100 HITs (and botocore's signer about
    one per request); on a small machine shared with the server that measures the client, not
    the emulator. This client sends the same signed requests over the same wire protocol with a
    minimal signer and only decodes the JSON.
    """

    def __init__(self, url: str, access_key_id: str, secret: str = "secret") -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.host_header = f"{self.host}:{self.port}"
        self.access_key_id = access_key_id
        self.secret = secret
        self.connection = None

    def _headers(self, operation: str, body: bytes) -> dict[str, str]:
        import hashlib
        import hmac

        now = datetime.now(UTC)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        day = amz_date[:8]
        target = f"MTurkRequesterServiceV20170117.{operation}"
        headers = {
            "content-type": "application/x-amz-json-1.1",
            "host": self.host_header,
            "x-amz-date": amz_date,
            "x-amz-target": target,
        }
        signed = ";".join(headers)
        canonical = "\n".join(
            [
                "POST",
                "/",
                "",
                "".join(f"{name}:{value}\n" for name, value in headers.items()),
                signed,
                hashlib.sha256(body).hexdigest(),
            ]
        )
        scope = f"{day}/us-east-1/mturk-requester/aws4_request"
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
        )
        key = ("AWS4" + self.secret).encode()
        for part in (day, "us-east-1", "mturk-requester", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.access_key_id}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}"
        )
        return headers

    def call(self, operation: str, params: dict) -> dict:
        import http.client
        import json

        body = json.dumps(params).encode()
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.connection.request("POST", "/", body=body, headers=self._headers(operation, body))
        response = self.connection.getresponse()
        data = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"{operation} answered {response.status}: {data}")
        return data

    def create_hit(self, **params) -> dict:
        return self.call("CreateHIT", params)

    def list_hits(self, **params) -> dict:
        return self.call("ListHITs", params)


def run_parallel(clients: list, work) -> float:
    """Run `work(client, index)` on every client at once; return the wall time in seconds."""
    barrier = threading.Barrier(len(clients) + 1)
    errors: list[BaseException] = []

    def runner(client, index: int) -> None:
        barrier.wait()
        try:
            work(client, index)
        except BaseException as exc:  # report after the round
            errors.append(exc)

    threads = [
        threading.Thread(target=runner, args=(client, i)) for i, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} client(s) failed; first: {errors[0]!r}")
    return elapsed


def create_hits(client, count: int) -> None:
    for _ in range(count):
        client.create_hit(
            Title="Benchmark HIT",
            Description="A HIT created by benchmarks/emulator.py",
            Reward="0.10",
            AssignmentDurationInSeconds=600,
            LifetimeInSeconds=86400,
            MaxAssignments=1,
            Question=QUESTION,
        )


def list_pages(client, pages: int) -> None:
    token = None
    for _ in range(pages):
        kwargs = {"MaxResults": 100}
        if token:
            kwargs["NextToken"] = token
        answer = client.list_hits(**kwargs)
        assert answer["NumResults"] == 100, answer["NumResults"]
        token = answer.get("NextToken")
        if not token:
            token = None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (Linux /proc), 0.0 where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    url: str, *, hits: int, clients: int, rounds: int, client_kind: str, server_pid: int
) -> dict:
    key = "AKIABENCHMARK0000001"
    load_before = os.getloadavg()[0]
    if client_kind == "boto3":
        pool = [
            make_mturk_client(url, access_key_id=key, retries={"total_max_attempts": 1})
            for _ in range(clients)
        ]
    else:
        pool = [RawClient(url, key) for _ in range(clients)]
    # CreateHIT: `rounds` timed rounds, then untimed filling up to `hits` stored HITs.
    per_round = max(clients, min(hits // (rounds * 2), 400) // clients * clients)
    create_rates = []
    cpu_before = cpu_seconds(server_pid)
    for _ in range(rounds):
        elapsed = run_parallel(pool, lambda c, i: create_hits(c, per_round // clients))
        create_rates.append(per_round / elapsed)
    create_cpu_ms = (cpu_seconds(server_pid) - cpu_before) * 1000 / (per_round * rounds)
    stored = per_round * rounds
    if stored < hits:
        remaining = hits - stored
        share = -(-remaining // clients)
        run_parallel(pool, lambda c, i: create_hits(c, min(share, remaining - i * share)))
        stored = hits
    # ListHITs: each client walks `pages_each` pages of 100 from the start.
    pages_each = min(hits // 100, 25)
    list_rates = []
    cpu_before = cpu_seconds(server_pid)
    for _ in range(rounds):
        elapsed = run_parallel(pool, lambda c, i: list_pages(c, pages_each))
        list_rates.append(pages_each * clients / elapsed)
    list_cpu_ms = (cpu_seconds(server_pid) - cpu_before) * 1000 / (pages_each * clients * rounds)
    return {
        "create_hit_per_second": statistics.median(create_rates),
        "list_pages_per_second": statistics.median(list_rates),
        "create_rates": create_rates,
        "list_rates": list_rates,
        "stored": stored,
        "create_cpu_ms": create_cpu_ms,
        "list_cpu_ms": list_cpu_ms,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }


def section_lines(
    result: dict, *, clients: int, rounds: int, database: str, client: str
) -> list[str]:
    return [
        "## Local MTurk (`benchmarks/emulator.py`)",
        "",
        f"Measured {machine()}; one emulator process "
        f"(waitress, 16 threads, {os.environ.get('EMULATOR_ACTIVE_REQUESTS', '2')} working at "
        f"once), {database}; {clients} concurrent {client} clients "
        f"(threads of one process on the same machine); median of {rounds} rounds. "
        f"Load average before/after: {result['load_before']:.2f} / {result['load_after']:.2f} "
        "(the machine is shared, so figures vary with what else runs).",
        "",
        "| figure | median | goal |",
        "| --- | --- | --- |",
        f"| CreateHIT per second | {result['create_hit_per_second']:.0f} | 200 |",
        f"| ListHITs pages (100 HITs) per second, {result['stored']:,} HITs stored "
        f"| {result['list_pages_per_second']:.0f} | 100 |",
        "",
        "Server CPU per operation in this run: "
        f"CreateHIT {result['create_cpu_ms']:.2f} ms, ListHITs page "
        f"{result['list_cpu_ms']:.2f} ms. With the GIL one emulator process uses at most "
        "one core, so at these costs its ceiling is about "
        f"{1000 / max(result['create_cpu_ms'], 0.001):.0f} CreateHIT/s and "
        f"{1000 / max(result['list_cpu_ms'], 0.001):.0f} pages/s (the cost per operation "
        "itself grows when the machine is oversubscribed).",
        "",
        "Rounds: CreateHIT/s "
        + ", ".join(f"{rate:.0f}" for rate in result["create_rates"])
        + "; pages/s "
        + ", ".join(f"{rate:.0f}" for rate in result["list_rates"])
        + ".",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hits", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database", help="SQLite path or database URL (default: a temp file)")
    parser.add_argument(
        "--client",
        choices=["raw", "boto3"],
        default="raw",
        help="raw: lean signed HTTP clients (measures the emulator); boto3: real boto3 clients",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="emulator-bench-") as directory:
        database = args.database or str(Path(directory) / "bench.sqlite3")
        server = start_emulator(Path(directory), database=database)
        try:
            result = measure(
                server.url,
                server_pid=server.process.pid,
                hits=args.hits,
                clients=args.clients,
                rounds=args.rounds,
                client_kind=args.client,
            )
        finally:
            server.stop()
    label = "PostgreSQL" if "postgres" in database else "SQLite (WAL)"
    print(
        f"CreateHIT/s median {result['create_hit_per_second']:.1f} "
        f"(rounds {', '.join(f'{r:.0f}' for r in result['create_rates'])})"
    )
    print(
        f"server CPU per CreateHIT {result['create_cpu_ms']:.2f} ms, "
        f"per ListHITs page {result['list_cpu_ms']:.2f} ms"
    )
    print(
        f"ListHITs pages/s median {result['list_pages_per_second']:.1f} with "
        f"{result['stored']} HITs (rounds {', '.join(f'{r:.0f}' for r in result['list_rates'])})"
    )
    if not args.no_write:
        path = write_section(
            "emulator",
            section_lines(
                result, clients=args.clients, rounds=args.rounds, database=label, client=args.client
            ),
        )
        print(f"wrote {path.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
