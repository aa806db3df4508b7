"""Public contract pages (no login): list with search and filters, contract page
with charts, CSV of the page's data. Cached for anonymous visitors."""

import csv
import io

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.decorators import method_decorator
from django.views import View

from contracts.models import Contract, ContractKind
from contracts.public import (
    contract_csv_rows,
    contract_page,
    export_query,
    filter_choices,
    public_contracts,
    read_filters,
    with_summaries,
)
from tri_portal.cache import public_page

PAGE_SIZE = 20


def public_contract_or_404(pk):
    return get_object_or_404(Contract.objects.public().filter(kind=ContractKind.COTRI), pk=pk)


@method_decorator(public_page, name="get")
class ContractListView(View):
    def get(self, request):
        filters = read_filters(request.GET)
        page = Paginator(public_contracts(filters), PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "filters": filters,
            "page": page,
            "cards": with_summaries(page.object_list),
            "query": query.urlencode(),
            "export_query": export_query(filters),
            **filter_choices(),
        }
        return render(request, "contracts/public_list.html", context)


@method_decorator(public_page, name="get")
class ContractDetailView(View):
    def get(self, request, pk):
        context = contract_page(public_contract_or_404(pk))
        return render(request, "contracts/public_detail.html", context)


@method_decorator(public_page, name="get")
class ContractCsvView(View):
    def get(self, request, pk):
        contract = public_contract_or_404(pk)
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=";").writerows(contract_csv_rows(contract))
        response = HttpResponse(
            ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{contract.reference}.csv"'
        return response
