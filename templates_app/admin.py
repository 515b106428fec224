from django.contrib import admin

from templates_app.models import PromptReview, PromptTemplate, PromptVersion


class PromptVersionInline(admin.TabularInline):
    model = PromptVersion
    extra = 0
    fields = ("version", "status", "author_name", "usage_count", "review_score", "review_count", "created_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PromptTemplate)
class PromptTemplateAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "specificity", "project", "active_version", "updated_at")
    list_filter = ("project",)
    search_fields = ("slug", "name", "description")
    autocomplete_fields = ("project", "improvement_issue")
    list_select_related = ("project", "active_version")
    readonly_fields = ("active_version",)
    inlines = [PromptVersionInline]


@admin.register(PromptVersion)
class PromptVersionAdmin(admin.ModelAdmin):
    list_display = ("template", "version", "status", "usage_count", "review_score", "review_count", "created_at")
    list_filter = ("status", "author_type")
    search_fields = ("template__slug", "content", "changelog")
    autocomplete_fields = ("template",)
    list_select_related = ("template",)


@admin.register(PromptReview)
class PromptReviewAdmin(admin.ModelAdmin):
    list_display = ("created_at", "version", "issue", "clarity", "completeness", "relevance", "author_type")
    list_filter = ("author_type",)
    search_fields = ("feedback", "version__template__slug")
    autocomplete_fields = ("version", "issue")
    list_select_related = ("version", "version__template", "issue")
