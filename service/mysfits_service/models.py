"""Response models: they document the API (OpenAPI); bodies are encoded directly."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Mysfit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mysfitId: str
    name: str
    species: str
    age: int
    goodEvil: Literal["Good", "Neutral", "Evil"]
    lawChaos: Literal["Lawful", "Neutral", "Chaotic"]
    description: str
    thumbImageUri: str
    profileImageUri: str
    likes: int = Field(default=0, description="Present when the deployment has a database.")
    adopted: bool = Field(default=False, description="Present when the deployment has a database.")
    liked: bool = Field(
        default=False,
        description="Present only for a caller with a valid ID token: whether they liked it.",
    )
    adoptedByYou: bool = Field(
        default=False,
        description="Present only for a caller with a valid ID token: whether they adopted it.",
    )


class MysfitList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mysfits: list[Mysfit]


class Health(BaseModel):
    status: Literal["ok"]


class ErrorDetail(BaseModel):
    code: str = Field(description="Machine-readable error code, e.g. not_found.")
    message: str = Field(description="Human-readable explanation.")


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI ``responses`` entries for the given error statuses."""
    descriptions = {
        400: "Invalid parameters",
        401: "No valid Cognito ID token in the Authorization header",
        404: "No such mysfit",
        409: "The mysfit has already been adopted",
        500: "Internal error",
        501: "This deployment has no database yet",
        503: "The database is busy or unreachable; retry later",
    }
    return {
        status: {"model": ErrorBody, "description": descriptions[status]} for status in statuses
    }
