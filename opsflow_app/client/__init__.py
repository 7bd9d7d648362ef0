"""What every front end (CLI, HTTP API, tests, benchmarks) asks of Temporal: start a
question, start and talk to an investigation thread. Failures are ``ClientError`` with a
stable code; each front end maps the code to its own exit status or HTTP status."""
