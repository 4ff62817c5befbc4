"""Adapters: event store settings, signing, ledger storage, read models, search, blobs, imaging."""
