"""The FastAPI application factory and its routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from . import __version__
from .access_log import AccessLogMiddleware
from .auth import Identity, identity_for
from .body_limit import BodyLimitMiddleware
from .cache import ListCache
from .config import Settings
from .encoding import encode, json_response
from .filters import ALLOWED_VALUES, parse_filter, reject_repeats
from .handlers import install_error_handlers
from .models import Health, Mysfit, MysfitList, error_responses
from .openapi import build_openapi
from .records import Record, public_view
from .release_header import ReleaseHeaderMiddleware
from .store import MysfitStore, build_store

ID_PATTERN = r"^[A-Za-z0-9._~-]{1,128}$"

_HEALTH_BODY = encode({"status": "ok"})
_ALL_VALUES = list(dict.fromkeys(v for values in ALLOWED_VALUES.values() for v in values))
_FILTER_HELP = "; ".join(f"{name}: {', '.join(values)}" for name, values in ALLOWED_VALUES.items())

FilterParam = Annotated[
    str | None,
    Query(
        alias="filter",
        description=(
            f"Attribute to filter on; requires `value`. Allowed values per filter: {_FILTER_HELP}."
        ),
        json_schema_extra={"enum": list(ALLOWED_VALUES)},
    ),
]
ValueParam = Annotated[
    str | None,
    Query(
        description="Value the filter attribute must equal; requires `filter`.",
        json_schema_extra={"enum": _ALL_VALUES},
    ),
]
MysfitIdParam = Annotated[str, Path(pattern=ID_PATTERN, description="The mysfit's id.")]


def create_app(
    settings: Settings | None = None,
    store: MysfitStore | None = None,
    identity: Identity | None = None,
) -> FastAPI:
    """Build the app; the backend and the token checks follow ``settings`` unless given."""
    settings = settings if settings is not None else Settings.from_env()
    store = store if store is not None else build_store(settings)
    identity = identity if identity is not None else identity_for(settings.cognito)
    cache = ListCache(store.list_mysfits, settings.list_cache_seconds)

    app = FastAPI(
        title="Mythical Mysfits API",
        version=__version__,
        description="Browse, like and adopt the Mythical Mysfits.",
        redirect_slashes=False,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.list_cache = cache
    app.state.identity = identity
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]

    install_error_handlers(app)
    wildcard = "*" in settings.cors_allow_origins
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"] if wildcard else list(settings.cors_allow_origins),
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )
    app.add_middleware(BodyLimitMiddleware)
    if settings.release:
        app.add_middleware(ReleaseHeaderMiddleware, release=settings.release)
    app.add_middleware(AccessLogMiddleware)  # added last, so it wraps everything else

    @app.get("/", response_model=Health, operation_id="healthCheck", tags=["health"])
    async def health() -> Response:
        """Liveness check for the load balancer; never touches the backend."""
        return json_response(_HEALTH_BODY)

    @app.get(
        "/mysfits",
        response_model=MysfitList,
        responses=error_responses(400, 500, 503),
        operation_id="listMysfits",
        tags=["mysfits"],
    )
    async def list_mysfits(
        request: Request, filter_name: FilterParam = None, value: ValueParam = None
    ) -> Response:
        """All mysfits, or those whose GoodEvil or LawChaos equals ``value``."""
        reject_repeats(request.query_params.multi_items(), ("filter", "value"))
        key = parse_filter(filter_name, value)
        body = cache.fresh(key)
        if body is None:
            body = await run_in_threadpool(cache.get, key)
        return json_response(body)

    @app.get(
        "/mysfits/{mysfitId}",
        response_model=Mysfit,
        responses=error_responses(400, 404, 500, 503),
        operation_id="getMysfit",
        tags=["mysfits"],
    )
    def get_mysfit(request: Request, mysfitId: MysfitIdParam) -> Response:  # noqa: N803
        """One mysfit, read straight from the backend (never cached).

        With a valid ID token the answer also says whether that user liked and adopted it.
        """
        viewer = identity.optional(request.headers.get("authorization"))
        headers = {"Vary": "Authorization"} if identity.enforced else None
        return json_response(encode(store.get_mysfit(mysfitId, viewer)), headers=headers)

    def signed_in(request: Request) -> str | None:
        return identity.required(request.headers.get("authorization"))

    def changed(record: Record) -> Response:
        """The list cache learns the like or adoption; the caller gets the mysfit."""
        cache.patch(public_view(record))
        return json_response(encode(record))

    @app.post(
        "/mysfits/{mysfitId}/like",
        response_model=Mysfit,
        responses=error_responses(400, 404, 500, 501, 503),
        operation_id="likeMysfit",
        tags=["mysfits"],
    )
    def like_mysfit(request: Request, mysfitId: MysfitIdParam) -> Response:  # noqa: N803
        """Add the caller's like (once per user when sign-in is on); returns the mysfit."""
        return changed(store.like(mysfitId, signed_in(request)))

    @app.post(
        "/mysfits/{mysfitId}/adopt",
        response_model=Mysfit,
        responses=error_responses(400, 404, 409, 500, 501, 503),
        operation_id="adoptMysfit",
        tags=["mysfits"],
    )
    def adopt_mysfit(request: Request, mysfitId: MysfitIdParam) -> Response:  # noqa: N803
        """Mark the mysfit adopted by the caller; 409 if it already was."""
        return changed(store.adopt(mysfitId, signed_in(request)))

    return app
