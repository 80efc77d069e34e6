"""The benchmark (`bench.py`) and its recorded results (`results.json`)."""
