"""The weekly digest for editors: build a snapshot, review it, approve, publish (docs/digest.md)."""
