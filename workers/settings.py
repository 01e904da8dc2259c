"""arq worker settings for production (`hub worker`)."""

from __future__ import annotations

from arq import cron

from hub.payments.jobs import expire_payment_checks
from hub.privacy.jobs import apply_retention
from workers.jobs import evaluate_promises, refresh_cases, shutdown, startup

# Daily at 02:00 UTC, after the night's ERP exports usually land.
REFRESH_HOUR_UTC = 2
# After the refresh, so settlements imported overnight are counted.
RETENTION_HOUR_UTC = 3
# After the refresh, so payments imported overnight count before promises are found broken.
PROMISE_HOUR_UTC = 4
# After the night's payment imports, which close the checks whose payment arrived.
PAYMENT_CHECK_HOUR_UTC = 5


# (job, hour UTC) pairs; the in-process runner of `hub serve` fires the same ones.
DAILY_JOBS = [
    (refresh_cases, REFRESH_HOUR_UTC),
    (apply_retention, RETENTION_HOUR_UTC),
    (evaluate_promises, PROMISE_HOUR_UTC),
    (expire_payment_checks, PAYMENT_CHECK_HOUR_UTC),
]


class WorkerSettings:
    functions = [refresh_cases, apply_retention, evaluate_promises, expire_payment_checks]
    cron_jobs = [cron(job, hour=hour, minute=0, run_at_startup=False) for job, hour in DAILY_JOBS]
    on_startup = startup
    on_shutdown = shutdown
    max_tries = 3
