import sys

from cnum_shared.framework.jobs import run_jobs_cli
from compliance.bootstrap import bootstrap
from compliance.jobs import JOBS

sys.exit(run_jobs_cli("compliance", JOBS, bootstrap))
