"""python -m busi config | setup | credential operator | credential buyer <user_id>

config:     the resolved configuration as shell assignments (read by scripts/stack.sh);
setup:      apply the schema and seed product 1 (idempotent);
credential: a bearer credential signed with AUTH_SECRET, for the operator or for one buyer
            (docs/security.md), e.g. curl -H "Authorization: Bearer $(python -m busi credential operator)".
"""

import sys

from busi import config
from busi.domain.credentials import Credentials
from busi.server import setup


def credential(args):
    credentials = Credentials.of(config.Config.from_env())
    if args == ["operator"]:
        return credentials.for_operator()
    if len(args) == 2 and args[0] == "buyer" and args[1].isdigit() and int(args[1]) > 0:
        return credentials.for_buyer(int(args[1]))
    sys.exit(__doc__)


if __name__ == "__main__":
    command, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    try:
        if command == "config" and not args:
            config.print_shell_lines()
        elif command == "setup" and not args:
            setup.main()
        elif command == "credential":
            print(credential(args))
        else:
            sys.exit(__doc__)
    except ValueError as err:
        sys.exit(f"configuration error: {err}")
