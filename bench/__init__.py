"""`make bench`: ducha's throughput and latency, each figure beside a raw ceiling.

Every figure is measured on real parts (an embedded nats-server with `sync_interval:
always`, SQLite files in temporary directories) and printed beside the same work done by
the bare library underneath, measured in the same run. Not part of the tests.
"""
