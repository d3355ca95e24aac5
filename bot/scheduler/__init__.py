"""One durable scheduler: due jobs stored in the database, fired by one dispatcher per process."""

from bot.scheduler.dispatcher import BatchHandler, Due, Handler, Job, Scheduler

__all__ = ["BatchHandler", "Due", "Handler", "Job", "Scheduler"]
