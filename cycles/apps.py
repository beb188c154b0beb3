from django.apps import AppConfig


class CyclesConfig(AppConfig):
    name = "cycles"
    verbose_name = "Cycles"

    def ready(self) -> None:
        # Fill okrs' setting page slots: last retrospective's actions, notes pinned to metrics.
        from cycles.closing import metric_notes_for_setting, retro_actions_for_setting
        from okrs.setting import register_metric_notes, register_retro_actions

        register_retro_actions(retro_actions_for_setting)
        register_metric_notes(metric_notes_for_setting)
