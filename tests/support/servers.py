"""Real servers for the scale-out tests, each private to the test run: a PostgreSQL cluster in a
temporary folder (run as the unprivileged `postgres` user when the tests run as root, as
PostgreSQL refuses to run as root), redis-server and nginx. A server that cannot start fails the
test with what it printed; nothing is skipped silently."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def wait_for_port(port: int, timeout: float = 20, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port} after {timeout} s")


class PostgresCluster:
    """initdb + pg_ctl in a temporary folder; stop/start/kill for fault tests."""

    def __init__(self):
        if not (PG_BIN / "initdb").exists():
            raise AssertionError(f"PostgreSQL 15 is not installed ({PG_BIN}/initdb missing): "
                                 "apt-get install postgresql-15")
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="faqbot-pg-"))
        self.data = self.folder / "data"
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            user = "postgres" if _user_exists("postgres") else "nobody"
            shutil.chown(self.folder, user)
            self.prefix = ["runuser", "-u", user, "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.start()

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([*self.prefix, str(PG_BIN / tool), *args], capture_output=True, text=True)
        if check and result.returncode != 0:
            log = (self.folder / "log").read_text() if (self.folder / "log").exists() else ""
            raise AssertionError(f"{tool} failed: {result.stdout}{result.stderr}{log}")
        return result

    def start(self) -> None:
        # fsync off: the tests kill the server, not the machine.
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w", "-t", "30", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def query(self, sql: str, *params) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url, connect_timeout=5) as db:
            return db.execute(sql, params).fetchall()

    def close(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


class RedisServer:
    def __init__(self):
        if shutil.which("redis-server") is None:
            raise AssertionError("redis-server is not installed: apt-get install redis-server (./run test does it)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, process=self.process)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    close = stop


NGINX_CONF = """
daemon off;
user root;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream faqbot {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://faqbot;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # A replica that is gone: try the next one, POSTs included (an ask is safe to repeat;
            # a vote may then be stored twice, never lost).
            proxy_next_upstream error timeout http_502 non_idempotent;
            proxy_connect_timeout 2s;
            proxy_read_timeout 30s;
        }}
    }}
}}
"""


# Which replica served each request, and what was posted to it (Nginx(..., log_upstreams=True)):
# bodies are kept in memory (up to 1 MB) so that nginx can log them.
UPSTREAM_LOG = """    log_format upstreams escape=json '$upstream_addr\t$status\t$request\t$request_body';
    access_log {dir}/access.log upstreams;
    client_body_buffer_size 1m;"""


@dataclass
class Served:
    """One request nginx passed to a replica."""
    port: int  # the replica's; for a request retried on another replica, the last, which answered
    status: int
    request: str  # the request line: "POST /gradio_api/run/predict HTTP/1.1"
    body: str


class Nginx:
    def __init__(self, upstream_ports: list[int], log_upstreams: bool = False):
        if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
            raise AssertionError("nginx is not installed: apt-get install nginx (./run test does it)")
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="faqbot-nginx-"))
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=3s;" for p in upstream_ports)
        conf = self.folder / "nginx.conf"
        text = NGINX_CONF.format(dir=self.folder, servers=servers, port=self.port)
        if log_upstreams:
            text = text.replace("    access_log off;", UPSTREAM_LOG.format(dir=self.folder), 1)
        conf.write_text(text)
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen([binary, "-c", str(conf), "-p", str(self.folder)],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_for_port(self.port, process=self.process)
        self.url = f"http://127.0.0.1:{self.port}"

    def served(self) -> list[Served]:
        """Every request passed to a replica so far (with log_upstreams), oldest first."""
        log = self.folder / "access.log"
        lines = log.read_text().splitlines() if log.exists() else []
        served = []
        for line in lines:
            upstream, status, request, body = (json.loads(f'"{field}"') for field in line.split("\t"))
            if upstream not in ("", "-"):  # not passed on (nginx answered itself)
                served.append(Served(int(upstream.rsplit(":", 1)[1]), int(status), request, body))
        return served

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
