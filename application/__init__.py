"""Use cases: the eventsourcing Application, authorisation decisions, queries. Depends on domain/ and on ports."""
