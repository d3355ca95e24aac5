"""One durable scheduler: due jobs stored in the database, fired by one dispatcher per process."""

from bot.scheduler.dispatcher import Due, Handler, Job, Scheduler

__all__ = ["Due", "Handler", "Job", "Scheduler"]
