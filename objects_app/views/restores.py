"""Thin views for archive restores (issue 14): the listing's restore column, restore campaigns."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from objects_app.archive_forms import RestoreStatesForm
from objects_app.errors import require_valid
from objects_app.roles import VIEWER, role_required
from objects_app.selectors import archived as selectors

CELLS = "objects_app/_restore_cells.html#restore-cells"


@require_POST  # a read, but a batch of keys does not fit in a URL
@never_cache
@role_required(VIEWER)
def restore_states(request: HttpRequest, bucket: str) -> HttpResponse:
    rows = require_valid(RestoreStatesForm(request.POST)).cleaned_data["rows"]
    states = selectors.restore_cells(bucket=bucket, keys=[key for _, key in rows])
    cells = [(cell, state) for (cell, _), state in zip(rows, states, strict=True)]
    return render(request, CELLS, {"cells": cells})
