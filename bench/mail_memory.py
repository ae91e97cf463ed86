"""One mail-ingesting process's memory with one large message (run by `make bench`, section mail).

Usage: mail_memory.py MESSAGE.eml TENANT_SLUG. Prints JSON: the process's resident memory idle
(set up, one small mail received) and its peak while receiving the message, in MiB.
"""

from __future__ import annotations

import gc
import json
import os
import sys
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
    from helpdesk.models import Tenant
    from integrations.email.inbound import email_receive

    path, slug = sys.argv[1], sys.argv[2]
    tenant = Tenant.objects.get(slug=slug)
    warm = (
        b"From: warm@bench.example\r\nSubject: warm up\r\n"
        b"Message-ID: <warm-%d@bench.example>\r\n\r\nHello\r\n" % os.getpid()
    )
    email_receive(warm, source="bench", tenant=tenant)  # every module loaded, every cache warm
    gc.collect()
    idle = status_mib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) counts from here
    raw = Path(path).read_bytes()  # as the IMAP poller holds a fetched mail
    received = email_receive(raw, source="bench", tenant=tenant)
    peak = status_mib("VmHWM")
    print(json.dumps({"idle": idle, "peak": peak, "status": received.status}))


if __name__ == "__main__":
    main()
