"""Dashboard cost vs data size (issue 6): the burnout API and the overview page at 10k, 100k
and 1M responses, against a direct GROUP BY over the raw responses for the same numbers.

    .venv/bin/python bench/dashboard.py                  # 10k, 100k, 1M (PostgreSQL)
    .venv/bin/python bench/dashboard.py --quick          # 2k, 20k: a few minutes
    .venv/bin/python bench/dashboard.py --sizes 10000,100000 --requests 100 --keep

A fresh database per run (orgwell_bench_dash_<pid>, dropped at the end unless --keep), migrated
with Alembic, filled by bench/dashboard_data.py (COPY), rollups rebuilt with the app's own
rebuild service after each step, then VACUUM (ANALYZE)d (bench/autovacuum.py says why; the run
prints whether autovacuum still ran while it timed). The app is served by gunicorn (2 workers);
the client calls the API with the owner's bearer token and the overview page with the owner's
session (logged in through the login form). Each measure runs `--warmup` times, then
`--requests` times; p50 and p95 in ms. The read path keeps decided waves and figure panels per
process (orgwell/metrics/wave_families.py, dashboard.py), keyed by each wave's rollups token, so
the timed requests are warm; the first API and page requests after each rebuild, which find
those caches cold, are timed and printed apart. The baseline is one SQL statement computing n,
mean, SD and share at or above the cut-off per wave x group (organisation, clinic, team) from
survey_responses and survey_response_scores for the same filter, timed the same way. The API's
numbers must equal the baseline's for every unsuppressed entry ("numbers match"). Besides the
default request (the newest 12 wave dates) the API is timed with `waves=3`: the same answer at
every size, so its ratio shows the cost of the data size alone, while the default's also grows
with the answer (10k responses hold only 3 waves). The overview page without dates shows the
default period (orgwell/metrics/filters.py: the 12 months up to the newest wave, 3 waves at 10k
and 52 at 1M); it is also timed over the newest 3 wave dates, the same answer at every size.

Targets (issue 6): API p95 <= 100 ms at 1M; p95 at 1M <= 1.5x p95 at 10k; API >= 5x faster
than the GROUP BY. Timings on a shared machine are noisy: compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import autovacuum  # noqa: E402
from bench import dashboard_data as data  # noqa: E402
from bench.smtp_sink import free_port  # noqa: E402

ROOT = data.ROOT
INSTRUMENT, SCALE = "cbi-work", "work"
FIXED_WAVES = 3  # the fixed-size API request timed besides the default one

# n, mean, SD (sample) and share at or above the cut-off per wave and group, from raw rows.
BASELINE_SQL = """
SELECT r.wave_id, GROUPING(t.parent_id) AS g_clinic, GROUPING(r.team_id) AS g_team,
       t.parent_id, r.team_id, count(s.score), avg(s.score), stddev_samp(s.score),
       100.0 * count(*) FILTER (WHERE s.band = 'high') / nullif(count(s.score), 0)
FROM survey_responses r
JOIN survey_response_scores s ON s.response_id = r.id AND s.scale_key = %(scale)s
JOIN survey_waves w ON w.id = r.wave_id AND w.status = 'closed'
JOIN survey_campaigns c ON c.id = w.campaign_id
JOIN instrument_versions v ON v.id = c.instrument_version_id AND v.key = %(instrument)s
LEFT JOIN teams t ON t.id = r.team_id
WHERE r.organisation_id = %(org)s AND w.opens_on >= %(from)s
GROUP BY GROUPING SETS ((r.wave_id), (r.wave_id, t.parent_id), (r.wave_id, t.parent_id, r.team_id))
"""


def main() -> None:
    args = _parse()
    sizes = [2000, 20000] if args.quick else [int(s) for s in args.sizes.split(",")]
    name = f"orgwell_bench_dash_{os.getpid()}"
    instance = tempfile.mkdtemp(prefix="bench-dash-")
    env = data.app_env(name, instance)
    server = None
    t0 = time.perf_counter()
    data.create_database(name)
    try:
        data.migrate(env)
        print(f"database {name} migrated in {time.perf_counter() - t0:.1f} s", flush=True)
        os.environ.update(env)
        from orgwell import create_app

        app = create_app()
        with app.app_context():
            gen = data.Generator(app)
            token = gen.setup()
            org_id = gen.org_id
        port = free_port()
        server = _serve(env, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        page = _login(base)
        rows = []
        for size in sizes:
            with app.app_context():
                t1 = time.perf_counter()
                waves = gen.grow(size)
                grown = time.perf_counter() - t1
                t2 = time.perf_counter()
                rebuilt = data.rebuild(app)
                rebuild_s = time.perf_counter() - t2
                total = data.count_responses()
            t3 = time.perf_counter()
            autovacuum.vacuum(data.admin_url(name))
            vacuum_s = time.perf_counter() - t3
            print(
                f"\n{total:,} responses: +{waves} waves generated in {grown:.1f} s; rebuild of "
                f"{rebuilt} waves in {rebuild_s:.1f} s; VACUUM (ANALYZE) in {vacuum_s:.1f} s",
                flush=True,
            )
            with autovacuum.AutovacuumWatch(data.admin_url(), name) as watch:
                rows.append(_measure(args, base, api, page, name, org_id, total))
            print(f"  autovacuum busy in {watch.busy} of {watch.samples} samples while timing",
                  flush=True)
        _table(rows)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(instance, ignore_errors=True)
        if args.keep:
            print(f"kept database {name}")
        else:
            data.drop_database(name)


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--quick", action="store_true", help="2,000 and 20,000 responses")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--page-requests",
        type=int,
        default=None,
        help="requests of the overview page (default: --requests)",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--api-query", default="", help="extra API query string, e.g. from=2026-01-01"
    )
    return parser.parse_args()


def _measure(args, base, api, page, db_name, org_id, total) -> dict:
    url = f"{base}/api/v1/orgs/{data.SLUG}/metrics/burnout"
    params = {"instrument": INSTRUMENT, "scale": SCALE}
    if args.api_query:
        params.update(dict(p.split("=", 1) for p in args.api_query.split("&")))
    # The first requests after the rebuild find every cache of the read path cold (a rebuild
    # renews the wave tokens that key them: orgwell/metrics/wave_families.py): timed apart.
    started = time.perf_counter()
    body = _ok(api.get(url, params=params)).json()
    cold_api = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    _ok(page.get(f"{base}/o/{data.SLUG}/results/"))
    cold_page = (time.perf_counter() - started) * 1000
    series = body["series"]
    first = min((e["wave"] for e in series), default="1900-01-01")
    sql_params = {"scale": SCALE, "instrument": INSTRUMENT, "org": org_id, "from": first}
    with psycopg.connect(data.admin_url(db_name)) as conn:
        baseline = conn.execute(BASELINE_SQL, sql_params).fetchall()
        matched = _compare(series, baseline, conn)
        sql_times = _time(args, lambda: conn.execute(BASELINE_SQL, sql_params).fetchall())
    api_times = _time(args, lambda: _ok(api.get(url, params=params)))
    # The same answer size at every size (the newest 3 waves): cost against data size alone.
    fixed = {**params, "waves": str(FIXED_WAVES)}
    fixed_times = _time(args, lambda: _ok(api.get(url, params=fixed)))
    page_times = _time(
        args, lambda: _ok(page.get(f"{base}/o/{data.SLUG}/results/")), args.page_requests
    )
    # The page over the newest FIXED_WAVES wave dates: the same answer at every size, as the
    # API's waves=3 (the default page shows the 12 months up to the newest wave).
    newest = sorted({e["wave"] for e in series}, reverse=True)[:FIXED_WAVES]
    fixed_page = f"{base}/o/{data.SLUG}/results/?from={newest[-1]}&to={newest[0]}"
    page_fixed_times = _time(args, lambda: _ok(page.get(fixed_page)), args.page_requests)
    waves = len({e["wave_id"] for e in series})
    print(f"  API: {len(series)} entries over {waves} waves; {matched}", flush=True)
    print(f"  first request after the rebuild (caches cold): API {cold_api:.1f} ms, "
          f"overview page {cold_page:.1f} ms", flush=True)
    return {
        "size": total,
        "api": _pct(api_times),
        "api_fixed": _pct(fixed_times),
        "page": _pct(page_times),
        "page_fixed": _pct(page_fixed_times),
        "sql": _pct(sql_times),
        "entries": len(series),
        "cold": (cold_api, cold_page),
    }


def _compare(series, baseline, conn) -> str:
    """Every unsuppressed API entry equals the baseline's numbers for its wave and group."""
    names = dict(conn.execute("SELECT id, name FROM teams"))
    expected = {}
    for wave_id, g_clinic, g_team, clinic, team, n, mean, sd, pct in baseline:
        if g_clinic:
            key = (wave_id, "organisation", None)
        elif g_team:
            key = (wave_id, "clinic", names.get(clinic))
        else:
            key = (wave_id, "team", names.get(team))
        expected[key] = (n, float(mean), float(sd) if sd is not None else None, float(pct))
    shown = [e for e in series if not e["suppressed"]]
    bad = []
    for e in shown:
        want = expected.get((e["wave_id"], e["kind"], e["team"]))
        got = (e["n"], e["mean"], e["sd"], e["pct_high"])
        close = (
            all(
                math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
                for a, b in zip(want[1:], got[1:], strict=True)
            )
            if want
            else False
        )
        if want is None or want[0] != got[0] or not close:
            bad.append((e["wave_id"], e["kind"], e["team"], got, want))
    if bad:
        raise SystemExit(f"numbers DIFFER in {len(bad)} of {len(shown)} entries: {bad[:3]}")
    return f"numbers match ({len(shown)} shown entries, {len(series) - len(shown)} suppressed)"


def _time(args, call, count: int | None = None) -> list[float]:
    for _ in range(min(args.warmup, count or args.warmup)):
        call()
    times = []
    for _ in range(count or args.requests):
        t = time.perf_counter()
        call()
        times.append((time.perf_counter() - t) * 1000)
    return times


def _ok(response):
    if response.status_code != 200:
        raise SystemExit(f"{response.url}: HTTP {response.status_code}")
    return response


def _pct(times: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return statistics.median(times), cuts[94]


def _table(rows: list[dict]) -> None:
    print(
        "\nsize       entries  API p50/p95 ms   page p50/p95 ms   GROUP BY p50/p95 ms  "
        "speedup(p50/p95)  API p95/p95@first  page p95/p95@first"
    )
    first = rows[0]
    for r in rows:
        speed = (r["sql"][0] / r["api"][0], r["sql"][1] / r["api"][1])
        print(
            f"{r['size']:>9,}  {r['entries']:>7}  {r['api'][0]:7.1f} /{r['api'][1]:7.1f}  "
            f"{r['page'][0]:7.1f} /{r['page'][1]:7.1f}  {r['sql'][0]:8.1f} /{r['sql'][1]:8.1f}"
            f"    {speed[0]:5.1f}x /{speed[1]:5.1f}x   {r['api'][1] / first['api'][1]:6.2f}x"
            f"            {r['page'][1] / first['page'][1]:6.2f}x"
        )
    print("\nfirst request after each rebuild, caches cold (one sample each):")
    for r in rows:
        print(f"{r['size']:>9,}  API {r['cold'][0]:7.1f} ms   page {r['cold'][1]:7.1f} ms")
    print(f"\nAPI with waves={FIXED_WAVES} (the same answer at every size):")
    print("size       p50/p95 ms         p95/p95@first  default p95 / waves=3 p95")
    for r in rows:
        print(
            f"{r['size']:>9,}  {r['api_fixed'][0]:7.1f} /{r['api_fixed'][1]:7.1f}"
            f"   {r['api_fixed'][1] / first['api_fixed'][1]:6.2f}x"
            f"        {r['api'][1] / r['api_fixed'][1]:6.2f}x"
        )
    print(f"\noverview page over the newest {FIXED_WAVES} wave dates (the same answer at every"
          " size):")
    print("size       p50/p95 ms         p95/p95@first")
    for r in rows:
        print(
            f"{r['size']:>9,}  {r['page_fixed'][0]:7.1f} /{r['page_fixed'][1]:7.1f}"
            f"   {r['page_fixed'][1] / first['page_fixed'][1]:6.2f}x"
        )
    last = rows[-1]
    print(
        f"\ntargets at {last['size']:,}: API p95 {last['api'][1]:.1f} ms (<= 100), "
        f"p95 ratio {last['api'][1] / first['api'][1]:.2f}x (<= 1.5), "
        f"speedup {last['sql'][1] / last['api'][1]:.1f}x (>= 5); "
        f"waves={FIXED_WAVES} p95 ratio "
        f"{last['api_fixed'][1] / first['api_fixed'][1]:.2f}x; "
        f"page p95 {last['page'][1]:.1f} ms (<= 100), "
        f"ratio {last['page'][1] / first['page'][1]:.2f}x"
    )


def _login(base: str) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{base}/login").text
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    done = session.post(
        f"{base}/login",
        data={
            "csrf_token": csrf,
            "email": data.OWNER_EMAIL,
            "password": data.OWNER_PASSWORD,
        },
    )
    _ok(done)
    return session


def _serve(env, port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "wsgi:app",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                if requests.get(f"http://127.0.0.1:{port}/login", timeout=30).status_code == 200:
                    return server
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        raise SystemExit("gunicorn did not start")
    except BaseException:
        server.terminate()
        server.wait(timeout=30)
        raise


if __name__ == "__main__":
    main()
