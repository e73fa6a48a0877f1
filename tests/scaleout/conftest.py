"""Fixtures of the scale-out test: PostgreSQL, Redis, two `voting serve` and nginx.

The services themselves are started by `benchmarks/cluster.py`, which the benchmark's
scale-out scenario uses too. Everything runs as child processes of the test, from
Debian's packages (postgresql, redis-server, nginx), on free loopback ports, with all
files in one temporary folder that is removed at the end:

- PostgreSQL: a private cluster made with initdb (as the `postgres` user when the test
  runs as root, since PostgreSQL refuses to run as root), or the server named by
  PLENUM_TEST_POSTGRES_URL (a superuser URL such as postgresql://postgres@127.0.0.1/postgres).
  Either way the test creates a fresh database and drops it afterwards.
- Redis: `redis-server` without persistence, or the server named by PLENUM_TEST_REDIS_URL.
- Two `voting serve` processes with the same DATABASE_URL, REDIS_URL, SECRET_KEY and
  instance folder, started at the same moment (their first-start work is serialised by
  an advisory lock), and nginx in front of them, configured like docs/deployment.md.

A missing binary fails the test (it does not skip): CI installs the packages in .ci/run,
and scripts/test installs them when run as root.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal

import pytest

from benchmarks.cluster import (
    Postgres,
    Service,
    StartError,
    make_workdir,
    require,
    start_cluster,
    start_postgres,
    start_redis,
    which,
)

_services: list[Service] = []  # session services (PostgreSQL, Redis)
_cluster: list[Service] = []  # the current test's app processes and nginx


@contextlib.contextmanager
def failing_on_start_error():
    """Turn a service that cannot start into a test failure showing its log."""
    try:
        yield
    except StartError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the services' output to the report of a failed scale-out test."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for service in _services + _cluster:
            report.sections.append((f"{service.name} output", service.output()[-15000:]))


@pytest.fixture(scope="session")
def workdir():
    """One temporary folder for every service's files, readable by the postgres user."""
    path = make_workdir("plenum-scaleout-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres(workdir):
    """PostgreSQL: the one of PLENUM_TEST_POSTGRES_URL, else a private cluster we start."""
    if os.environ.get("PLENUM_TEST_POSTGRES_URL"):
        with failing_on_start_error():
            psql = require(which("psql"), "psql")
        yield Postgres(os.environ["PLENUM_TEST_POSTGRES_URL"], psql)
        return
    started: list[Service] = []
    try:
        with failing_on_start_error():
            try:
                _, access = start_postgres(workdir, started, {"fsync": "off"})
            finally:
                _services.extend(started)
        yield access
    finally:
        for service in started:
            service.stop(signal.SIGINT)  # fast shutdown: ends open sessions


@pytest.fixture(scope="session")
def redis_url(workdir):
    """Redis: the one of PLENUM_TEST_REDIS_URL, else a redis-server without persistence."""
    if os.environ.get("PLENUM_TEST_REDIS_URL"):
        yield os.environ["PLENUM_TEST_REDIS_URL"]
        return
    started: list[Service] = []
    try:
        with failing_on_start_error():
            try:
                _, url = start_redis(workdir, started)
            finally:
                _services.extend(started)
        yield url
    finally:
        for service in started:
            service.stop()


@pytest.fixture
def database(postgres):
    """A fresh, empty database; dropped (with its connections) after the test."""
    name = f"plenum_scaleout_{secrets.token_hex(4)}"
    postgres.psql(f"CREATE DATABASE {name}")
    yield name
    postgres.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def cluster(workdir, postgres, redis_url, database):
    """Start both app processes at the same moment, wait for both, then start nginx."""
    started = _cluster
    started.clear()
    try:
        with failing_on_start_error():
            built = start_cluster(workdir, postgres, database, redis_url, started)
        yield built
    finally:
        for service in reversed(started):
            service.stop()
