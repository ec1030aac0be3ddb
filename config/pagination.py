from rest_framework.pagination import PageNumberPagination as DrfPageNumberPagination

from config.errors import Invalid


class PageNumberPagination(DrfPageNumberPagination):
    """`?page=` with `count`, `next`, `previous`, `results`; `?page_size=` up to 200.

    A `page_size` that is not a positive whole number is refused (400 invalid), not ignored;
    blank means the default, like every blank query parameter.
    """

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw and not (raw.isascii() and raw.isdigit() and int(raw) > 0):
            message = "page_size must be a whole number from 1."
            raise Invalid(message, fields={self.page_size_query_param: [message]})
        return super().get_page_size(request)
