"""arq worker settings for production (`hub worker`)."""

from __future__ import annotations

from arq import cron

from workers.jobs import refresh_cases, shutdown, startup

# Daily at 02:00 UTC, after the night's ERP exports usually land.
REFRESH_HOUR_UTC = 2


class WorkerSettings:
    functions = [refresh_cases]
    cron_jobs = [cron(refresh_cases, hour=REFRESH_HOUR_UTC, minute=0, run_at_startup=False)]
    on_startup = startup
    on_shutdown = shutdown
    max_tries = 3
