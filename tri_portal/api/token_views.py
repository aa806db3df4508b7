"""Officer space: personal API tokens (create, list, revoke)."""

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from tri_portal.models import ApiToken

MAX_ACTIVE_TOKENS = 10


class TokenForm(forms.Form):
    """A name for the token, and the password again: an open session alone (a
    forgotten browser, a stolen cookie) must not be enough to take a lasting key."""

    name = forms.CharField(
        label=gettext_lazy("Nom du jeton"),
        max_length=100,
        help_text=gettext_lazy("À quoi il sert, par ex. « SIG de la communauté d'agglomération »."),
    )
    password = forms.CharField(
        label=gettext_lazy("Votre mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=gettext_lazy("Pour confirmer que c'est bien vous."),
    )

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name or not name.isprintable():
            raise forms.ValidationError(_("Donnez un nom lisible au jeton."))
        return name

    def clean_password(self):
        # Checked like a login (django-axes counts the failures and locks out), so an
        # open session cannot be used to guess the password without limit.
        user = self.request.user
        password = self.cleaned_data["password"]
        if authenticate(self.request, username=user.get_username(), password=password) != user:
            raise forms.ValidationError(_("Mot de passe incorrect."))
        return password


@method_decorator(login_required, name="dispatch")
class ApiTokensView(View):
    template_name = "tri_portal/api_tokens.html"

    def render_page(self, form, new_key=None, status=200):
        tokens = ApiToken.objects.filter(user=self.request.user)
        context = {"form": form, "tokens": tokens, "new_key": new_key}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request):
        return self.render_page(TokenForm(request=request))

    def post(self, request):
        form = TokenForm(request.POST, request=request)
        if not form.is_valid():
            return self.render_page(form, status=400)
        with transaction.atomic():
            active = ApiToken.objects.active().filter(user=request.user).select_for_update()
            if active.count() >= MAX_ACTIVE_TOKENS:
                form.add_error(
                    None,
                    _("Vous avez déjà %(n)s jetons actifs : révoquez-en un d'abord.")
                    % {"n": MAX_ACTIVE_TOKENS},
                )
                return self.render_page(form, status=400)
            _token, key = ApiToken.issue(request.user, form.cleaned_data["name"])
        # The key is shown on this page only: never stored, never sent again.
        response = self.render_page(TokenForm(request=request), new_key=key)
        response["Cache-Control"] = "no-store"
        return response


@method_decorator(login_required, name="dispatch")
class RevokeTokenView(View):
    def post(self, request, pk):
        token = get_object_or_404(ApiToken, pk=pk, user=request.user)
        token.revoke()
        messages.success(request, _("Le jeton « %(name)s » est révoqué.") % {"name": token.name})
        return redirect("api_tokens")
