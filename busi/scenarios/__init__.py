"""Scenarios the service runs itself, behind the demo endpoints, against its own HTTP API:
the batch (batch.py) and the small comparison of the live page (compare.py). The command
line (crash_sim) runs the same ones from outside, with the same HTTP client (client.py)."""
