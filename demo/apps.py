from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo desks `make run` shows (`seed_demo`) and the benchmark's data (`bench_seed`)."""

    name = "demo"
    verbose_name = _("Demo data")
