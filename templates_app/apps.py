from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class TemplatesAppConfig(AppConfig):
    name = "templates_app"
    verbose_name = "Prompt templates"

    def ready(self) -> None:
        from templates_app.models import PromptTemplate, PromptVersion
        from templates_app.selection import catalog

        def templates_changed(**kwargs) -> None:  # noqa: ANN003 - signal arguments
            catalog.changed()

        # Every save or delete of a template or version, from services or the admin alike, drops
        # this process's cached templates (queryset updates call catalog.changed themselves).
        for model in (PromptTemplate, PromptVersion):
            post_save.connect(templates_changed, sender=model, weak=False,
                              dispatch_uid=f"template-catalog-{model.__name__}-save")
            post_delete.connect(templates_changed, sender=model, weak=False,
                                dispatch_uid=f"template-catalog-{model.__name__}-delete")
