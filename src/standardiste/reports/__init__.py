"""Historical reports: interval aggregates kept from the event log, queries, privacy, exports."""
