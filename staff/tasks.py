from celery import shared_task

from . import dashboard


# The name it had in core/: beat entries and queued messages of a release before the
# move (a rolling deploy, a worker draining its queue) still find the task.
@shared_task(name="core.tasks.refresh_dashboard")
def refresh_dashboard() -> list[int]:
    """Recompute the dashboard's ranges into the cache (beat, every
    DASHBOARD_REFRESH_SECONDS): the page and the API then answer from it. On
    the way it stores the days that settled since (the rollup) and drops rolled-up
    days older than any range."""
    for days in dashboard.RANGES:
        dashboard.figures(days, refresh=True)
    dashboard.prune()
    return list(dashboard.RANGES)
