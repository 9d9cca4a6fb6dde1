"""SpamSieve's benchmark, run by bench/run (see bench/README.md). One module per measurement:
throughput, engine_cost, latency, footprint, accuracy; report writes the table. The rest is
plumbing: build, servers (the harness), maildir (loading the store), spamd (a spamd client),
spamsieve (settings, runs, the live engine), corpus, util."""
