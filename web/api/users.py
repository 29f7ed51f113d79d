"""Operator accounts: anyone sees themselves; admins manage everyone."""

from __future__ import annotations

from http import HTTPStatus

import marshmallow as ma
from flask.views import MethodView
from flask_jwt_extended import current_user

from domain.models import Role
from domain.queries.users import list_users
from domain.services import users as user_service
from web.api.blueprint import ApiBlueprint, paged
from web.api.fields import USERNAME_LENGTH, UTCDateTime, name, one_of, text
from web.extensions import database

blp = ApiBlueprint(
    "users",
    __name__,
    url_prefix="/api/users",
    description="Users and roles: viewer reads, operator also sends commands, admin also "
    "manages chargers, id tags and users.",
)


# GET /api/users/me/ is the caller, so no user has this name.
ME = "me"


def password_field(**kwargs):
    return text(1024, min_length=8, load_only=True, **kwargs)


class UserSchema(ma.Schema):
    username = ma.fields.String(dump_only=True)
    role = ma.fields.String(dump_only=True, metadata={"enum": list(Role)})
    created_at = UTCDateTime(dump_only=True)


class UserCreateSchema(ma.Schema):
    username = name(USERNAME_LENGTH, required=True, reserved=ME)
    password = password_field(required=True)
    role = one_of(Role, load_default=Role.VIEWER)


class UserUpdateSchema(ma.Schema):
    password = password_field()
    role = one_of(Role)


class UserQuerySchema(ma.Schema):
    role = one_of(Role)


@blp.route("/")
class Users(MethodView):
    @blp.requires(Role.ADMIN)
    @blp.arguments(UserQuerySchema, location="query")
    @blp.response(HTTPStatus.OK, UserSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """List users"""
        return paged(list_users, pagination_parameters, **query)

    @blp.requires(Role.ADMIN)
    @blp.arguments(UserCreateSchema)
    @blp.response(HTTPStatus.CREATED, UserSchema)
    @blp.alt_response(HTTPStatus.CONFLICT, "CONFLICT")
    def post(self, body):
        """Add a user (password at least 8 characters)"""
        with database().unit_of_work() as session:
            return user_service.create_user(session, **body)


@blp.route(f"/{ME}/")
class Me(MethodView):
    @blp.requires(Role.VIEWER)
    @blp.response(HTTPStatus.OK, UserSchema)
    def get(self):
        """The user the token belongs to"""
        return current_user


@blp.route(f"/<name(150, reserved='{ME}'):name>/")
class UserDetail(MethodView):
    @blp.requires(Role.ADMIN)
    @blp.response(HTTPStatus.OK, UserSchema)
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    def get(self, name):
        """One user"""
        with database().unit_of_work() as session:
            return user_service.get_user(session, name)

    @blp.requires(Role.ADMIN)
    @blp.arguments(UserUpdateSchema, required=False)
    @blp.response(HTTPStatus.OK, UserSchema)
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    @blp.alt_response(HTTPStatus.CONFLICT, "CONFLICT")
    def patch(self, changes, name):
        """Change a user's role or password (the last admin keeps the admin role)"""
        with database().unit_of_work() as session:
            return user_service.update_user(session, name, **changes)

    @blp.requires(Role.ADMIN)
    @blp.response(HTTPStatus.NO_CONTENT)
    @blp.alt_response(HTTPStatus.NOT_FOUND, "NOT_FOUND")
    @blp.alt_response(HTTPStatus.CONFLICT, "CONFLICT")
    def delete(self, name):
        """Remove a user; their tokens stop working at once (the last admin stays)"""
        with database().unit_of_work() as session:
            user_service.delete_user(session, name)
