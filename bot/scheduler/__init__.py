"""One durable scheduler: due jobs stored in the database, fired by one dispatcher per process."""
