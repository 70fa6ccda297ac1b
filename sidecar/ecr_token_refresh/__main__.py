import sys

from ecr_token_refresh.main import main

sys.exit(main(sys.argv[1:]))
