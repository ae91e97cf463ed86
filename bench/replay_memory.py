"""One process replaying a draft SLA policy over part of last quarter (`make bench`, replay).

Usage: replay_memory.py TENANT_SLUG SHARE. Replays the policy "Gold draft" over the first
SHARE (0-1] of the tenant's last quarter in a fresh process and prints JSON: its resident
memory idle (set up, the desk's SLA set-up compiled) and its peak during the replay, in MiB,
the seconds the replay took and the tickets it looked at.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def status_mib(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    django.setup()
    from django.utils import timezone

    from helpdesk.models import Tenant
    from helpdesk.tenancy import tenant_context
    from reports.models import SlaReplay
    from reports.selectors import last_quarter
    from reports.services import replay_run
    from sla.models import SlaPolicy
    from sla.selectors import sla_config

    tenant = Tenant.objects.get(slug=sys.argv[1])
    start, end = last_quarter(now=timezone.now(), time_zone=tenant.time_zone)
    until = start + (end - start) * float(sys.argv[2])
    with tenant_context(tenant):
        sla_config()  # compiled once per process, as in a worker that ran a task before
        draft = SlaPolicy.objects.get(name="Gold draft")
        replay = SlaReplay.objects.create(policy=draft, period_start=start, period_end=until)
    gc.collect()
    idle = status_mib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) counts from here
    began = time.perf_counter()
    replay_run(tenant_id=tenant.pk, replay_id=replay.pk)
    seconds = time.perf_counter() - began
    peak = status_mib("VmHWM")
    with tenant_context(tenant):
        replay.refresh_from_db()
    results = {key: value for key, value in replay.results.items() if key != "cells"}
    print(json.dumps({
        "idle": idle, "peak": peak, "seconds": seconds, "state": replay.state,
        "tickets": replay.total, "results": results,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
