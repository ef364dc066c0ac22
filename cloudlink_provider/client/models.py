"""Typed views of CloudLink's responses (pydantic). Unknown fields are kept, never rejected,
so a newer API does not break an older client. Validation errors never show the values they
were given (`hide_input_in_errors`): answers may hold secrets (tokens)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Resource(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, hide_input_in_errors=True)

    createdOn: str | None = None
    createdBy: str | None = None
    modifiedOn: str | None = None
    modifiedBy: str | None = None


class TokenClaims(BaseModel):
    model_config = ConfigDict(extra="allow", hide_input_in_errors=True)
    principalId: str
    accountId: str
    role: str
    exp: int | None = None


class Account(Resource):
    accountId: str
    accountNumber: str | None = None
    partnerId: str | None = None
    name: str
    domain: str | None = None
    languageCode: str | None = None
    active: bool = True
    userLimit: int | None = None
    location: str | None = None
