"""Read models: SQL projections of the event stream (catalogue, logs, statistics)."""
