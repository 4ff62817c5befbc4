"""The archive domain: aggregates, events and value objects. Imports nothing but the stdlib and eventsourcing.domain."""
