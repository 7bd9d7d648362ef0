"""Run an OpsFlow worker: ``python worker.py`` (the same as the ``opsflow-worker`` command).

The code lives in opsflow_app/worker_main.py; nothing imports this script.
"""

from opsflow_app.worker_main import run

if __name__ == "__main__":
    run()
