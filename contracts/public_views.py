"""Public contract pages (no login): list with search and filters, contract page
with charts and documents, CSV of the page's data (cached for anonymous visitors);
the documents themselves, each to whom may see it."""

from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View

from contracts.comparison import (
    COMPARISON_CSV,
    HEADLINE_INDICATORS,
    comparison_csv_rows,
    comparison_rows,
    read_sort,
    sort_links,
)
from contracts.models import PUBLIC_STATUSES, Contract, ContractDocument
from contracts.public import (
    CONTRACT_CSV,
    contract_csv_rows,
    contract_page,
    export_query,
    filter_choices,
    public_contracts,
    read_filters,
    with_summaries,
)
from contracts.story import published_story
from indicators.models import Indicator
from indicators.peers import compared_indicators, peer_comparisons, peer_rows
from kit.api import exports
from kit.cache import BROWSER_MAX_AGE, public_page
from kit.files import stored_file_download

PAGE_SIZE = 20


def public_contract_or_404(pk):
    return get_object_or_404(Contract.objects.public(), pk=pk)


@method_decorator(public_page, name="get")
class ContractListView(View):
    def get(self, request):
        filters = read_filters(request.GET)
        page = Paginator(public_contracts(filters), PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        cards = with_summaries(page.object_list)
        context = {
            "filters": filters,
            "statuses": PUBLIC_STATUSES,
            "page": page,
            "cards": cards,
            "has_demo": any(contract.is_demo for contract, _rows in cards),
            "query": query.urlencode(),
            "export_query": export_query(filters),
            **filter_choices(),
        }
        return render(request, "contracts/public_list.html", context)


def contract_peer_rows(contract):
    """The contract's territory against its peers on each headline indicator (latest
    year with a group): four queries."""
    catalogue = {i.identifier: i for i in Indicator.objects.all()}
    return peer_rows(
        peer_comparisons(contract.territory, compared_indicators(catalogue), catalogue)
    )


@method_decorator(public_page, name="get")
class ContractDetailView(View):
    def get(self, request, pk):
        contract = public_contract_or_404(pk)
        context = contract_page(contract)
        context["documents"] = ContractDocument.objects.visible_to(request.user).filter(
            contract=contract
        )
        context["peer_rows"] = contract_peer_rows(contract)
        context["story"] = published_story(contract)
        return render(request, "contracts/public_detail.html", context)


@method_decorator(public_page, name="get")
class ContractComparisonView(View):
    """Every public contract in one table sortable by any column (``?tri=``, ``-`` for
    descending, server-side: no JavaScript needed); ``?format=csv`` (``&sep=;`` for a
    spreadsheet) or ``?format=xlsx`` downloads it, an open-data file like the API's."""

    def get(self, request):
        sort, descending = read_sort(request.GET.get("tri"))
        fmt, separator = request.GET.get("format"), request.GET.get("sep", ",")
        if fmt not in (None, "html", "csv", "xlsx") or separator not in exports.SEPARATORS:
            return HttpResponseBadRequest(
                _("Format ou séparateur inconnu : format=csv ou xlsx, sep=, ou ;."),
                content_type="text/plain; charset=utf-8",
            )
        rows = comparison_rows(sort, descending)
        if fmt in ("csv", "xlsx"):
            return self.download(rows, fmt, exports.SEPARATORS[separator])
        indicators = Indicator.objects.in_bulk(HEADLINE_INDICATORS, field_name="identifier")
        links = sort_links(sort, descending)
        context = {
            "rows": rows,
            "links": links,
            "indicator_columns": [(indicators[i], links[i]) for i in HEADLINE_INDICATORS],
            "sort": sort,
            "descending": descending,
            "has_demo": any(row.contract.is_demo for row in rows),
        }
        return render(request, "contracts/comparison.html", context)

    @staticmethod
    def download(rows, fmt: str, separator: str) -> HttpResponse:
        """The file, built whole (one row per public contract): the page cache stores it."""
        filename = f"{COMPARISON_CSV.name}-{timezone.localdate().isoformat()}"
        if fmt == "xlsx":
            streamed = exports.xlsx_response(COMPARISON_CSV, comparison_csv_rows(rows), filename)
            response = HttpResponse(b"".join(streamed.streaming_content))
            for header, value in streamed.items():
                response[header] = value
            streamed.close()
            return response
        lines = exports.csv_lines(COMPARISON_CSV, comparison_csv_rows(rows), separator)
        response = HttpResponse(
            "".join(lines).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return exports.with_licence(response)


@method_decorator(public_page, name="get")
class ContractCsvView(View):
    def get(self, request, pk):
        """The contract page's data in the open data's "CSV pour tableur" dialect
        (semicolons, decimal comma, UTF-8 with BOM)."""
        contract = public_contract_or_404(pk)
        lines = exports.csv_lines(CONTRACT_CSV, contract_csv_rows(contract), separator=";")
        response = HttpResponse(
            "".join(lines).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{contract.reference}.csv"'
        return exports.with_licence(response)


class ContractDocumentView(View):
    """A document of a contract, as a download; 404 for whoever may not see it (or
    when its file is missing from the storage)."""

    def get(self, request, pk, doc_pk):
        document = get_object_or_404(
            ContractDocument.objects.visible_to(request.user).select_related("contract"),
            contract_id=pk,
            pk=doc_pk,
        )
        response = stored_file_download(
            document.file, document.download_name, document.content_type
        )
        if document.is_public:
            patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE)
        else:
            patch_cache_control(response, private=True)
        return response
