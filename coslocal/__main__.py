"""Entry point: python -m coslocal --data DIR --secret-id ID --secret-key KEY [...]"""

from coslocal.config import parse_config
from coslocal.server import serve


def main() -> None:
    serve(parse_config())


if __name__ == "__main__":
    main()
