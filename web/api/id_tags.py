"""IdTags chargers may authorize: everyone reads, admins manage."""

from __future__ import annotations

from http import HTTPStatus

import marshmallow as ma
from flask.views import MethodView

from domain.models import IdTagStatus, Role
from domain.queries.id_tags import list_id_tags
from domain.services import id_tags as id_tag_service
from web.api.blueprint import ApiBlueprint, paged
from web.api.fields import ID_TAG_LENGTH, UTCDateTime, name, one_of, text
from web.extensions import database

blp = ApiBlueprint(
    "id-tags",
    __name__,
    url_prefix="/api/id-tags",
    description="IdTags (OCPP CiString20: compared without case).",
)


def id_tag_field(**kwargs):
    return name(ID_TAG_LENGTH, **kwargs)


class IdTagSchema(ma.Schema):
    id_tag = ma.fields.String(dump_only=True)
    status = ma.fields.String(dump_only=True, metadata={"enum": list(IdTagStatus)})
    parent_id_tag = ma.fields.String(dump_only=True, allow_none=True)
    expiry_date = UTCDateTime(dump_only=True, allow_none=True)
    created_at = UTCDateTime(dump_only=True)


class IdTagCreateSchema(ma.Schema):
    id_tag = id_tag_field(required=True)
    status = one_of(IdTagStatus, load_default=IdTagStatus.ACCEPTED)
    parent_id_tag = id_tag_field(allow_none=True)
    expiry_date = UTCDateTime(allow_none=True, metadata={"description": "Expired after this"})


class IdTagUpdateSchema(ma.Schema):
    status = one_of(IdTagStatus)
    parent_id_tag = id_tag_field(allow_none=True)
    expiry_date = UTCDateTime(allow_none=True)


class IdTagQuerySchema(ma.Schema):
    status = one_of(IdTagStatus)
    search = text(ID_TAG_LENGTH, metadata={"description": "Part of the tag, any case"})
    parent_id_tag = text(ID_TAG_LENGTH)


@blp.route("/")
class IdTags(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.arguments(IdTagQuerySchema, location="query")
    @blp.response(HTTPStatus.OK, IdTagSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """List idTags"""
        return paged(list_id_tags, pagination_parameters, **query)

    @blp.requires(Role.ADMIN)
    @blp.arguments(IdTagCreateSchema)
    @blp.response(HTTPStatus.CREATED, IdTagSchema)
    @blp.alt_response(HTTPStatus.CONFLICT, "CONFLICT")
    def post(self, body):
        """Add an idTag"""
        with database().unit_of_work() as session:
            return id_tag_service.create_id_tag(session, body.pop("id_tag"), **body)


@blp.route("/<name(20):tag>/")
class IdTagDetail(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.response(HTTPStatus.OK, IdTagSchema)
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    def get(self, tag):
        """One idTag (any case)"""
        with database().unit_of_work() as session:
            return id_tag_service.get_id_tag(session, tag)

    @blp.requires(Role.ADMIN)
    @blp.arguments(IdTagUpdateSchema, required=False)
    @blp.response(HTTPStatus.OK, IdTagSchema)
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    def patch(self, changes, tag):
        """Block, expire or re-parent an idTag (null clears parent or expiry)"""
        with database().unit_of_work() as session:
            return id_tag_service.update_id_tag(session, tag, **changes)

    @blp.requires(Role.ADMIN)
    @blp.response(HTTPStatus.NO_CONTENT)
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    def delete(self, tag):
        """Remove an idTag (transactions keep the text)"""
        with database().unit_of_work() as session:
            id_tag_service.delete_id_tag(session, tag)
