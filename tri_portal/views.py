from django.views.generic import TemplateView

from contracts.selectors import signed_contracts
from territories.selectors import region_overview


class HomeView(TemplateView):
    template_name = "tri_portal/home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **kwargs, overview=region_overview(), contracts=signed_contracts()
        )


class StaticPageView(TemplateView):
    """Legal and information pages: text only, in the templates."""
