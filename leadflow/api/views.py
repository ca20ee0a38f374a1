"""What every API view shares: records looked up only among those the caller may see, odd ids as 404."""

from __future__ import annotations

from rest_framework.exceptions import NotFound

from leadflow.params import id_or_none


class VisibleObjectMixin:
    """get_object() among get_queryset() (the caller's visible records): a malformed, out-of-range or unseen id is
    a 404, never a 500, and never says whether the record exists."""

    not_found = "No such record."

    def get_object(self):
        pk = id_or_none(str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, "")))
        found = self.get_queryset().filter(pk=pk).first() if pk is not None else None
        if found is None:
            raise NotFound(self.not_found)
        self.check_object_permissions(self.request, found)
        return found
