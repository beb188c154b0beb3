from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OkrsConfig(AppConfig):
    name = "okrs"
    verbose_name = "OKRs"

    def ready(self) -> None:
        from okrs import tree_memo

        # After every migrate and flush: the alignment tree's data version and its triggers.
        post_migrate.connect(tree_memo.install, sender=self, dispatch_uid="okrs_tree_memo")
