"""The OpsFlow command line: ``python client.py COMMAND`` (the same as ``opsflow COMMAND``).

The code lives in opsflow_app/client_main.py; nothing imports this script.
"""

from opsflow_app.client_main import run

if __name__ == "__main__":
    run()
