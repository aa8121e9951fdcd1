"""python -m busi config | setup

config: the resolved configuration as shell assignments (read by scripts/stack.sh);
setup:  apply the schema and seed product 1 (idempotent).
"""

import sys

from busi import config
from busi.server import setup

if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) == 2 else ""
    try:
        if command == "config":
            config.print_shell_lines()
        elif command == "setup":
            setup.main()
        else:
            sys.exit(__doc__)
    except ValueError as err:
        sys.exit(f"configuration error: {err}")
