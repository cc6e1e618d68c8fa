"""core.read_model: one declaration renders rows; per-viewer fields stay out of the shared part."""

import pytest
from rest_framework import serializers

from core.read_model import (
    Field,
    ReadModel,
    SharedPart,
    column,
    field,
    per_viewer,
    serializer_drift,
)

NOTE = ReadModel(
    "note",
    [
        column("id", render=str),
        field(
            "author",
            columns=("user_id", "user__name"),
            render=lambda row, ctx: {"id": str(row["user_id"]), "name": row["user__name"]},
        ),
        column("text", "body"),
        per_viewer(column("is_liked", render=bool), everyone=False),
        field("shout", columns=("body",), render=lambda row, ctx: ctx + row["body"].upper()),
    ],
    context=lambda request: request or "",
)

ROW = {"id": 7, "user_id": 3, "user__name": "ann", "body": "hi", "is_liked": 1}


def test_columns_are_each_read_once_in_declaration_order():
    assert NOTE.columns == ("id", "user_id", "user__name", "body", "is_liked")
    assert NOTE.columns_of("shout", "author") == ("body", "user_id", "user__name")
    with pytest.raises(KeyError):
        NOTE.columns_of("nope")


def test_a_row_renders_every_field_in_order_with_the_request_context():
    rendered = NOTE.renderer("> ").one(ROW)
    assert list(rendered) == ["id", "author", "text", "is_liked", "shout"]
    assert rendered == {
        "id": "7",
        "author": {"id": "3", "name": "ann"},
        "text": "hi",
        "is_liked": True,
        "shout": "> HI",
    }
    assert NOTE.renderer("> ").many([ROW, {**ROW, "id": 8}])[1]["id"] == "8"


def test_the_shared_part_never_holds_a_per_viewer_field():
    renderer = NOTE.renderer()
    shared = renderer.shared(ROW)
    assert isinstance(shared, SharedPart)
    assert set(shared.data) == {"id", "author", "text", "shout"}
    assert renderer.viewer(ROW) == {"is_liked": True}
    # Another viewer's part merged with the same shared part: their own value.
    merged = renderer.merge(shared, renderer.viewer({**ROW, "is_liked": 0}))
    assert merged == {**renderer.one(ROW), "is_liked": False}
    assert list(merged) == list(NOTE.names)


def test_merge_refuses_parts_that_do_not_fit():
    renderer = NOTE.renderer()
    shared = renderer.shared(ROW)
    with pytest.raises(ValueError):
        renderer.merge(shared, {})  # the per-viewer part is missing
    with pytest.raises(ValueError):
        renderer.merge(shared, {"is_liked": True}, fresh={"is_liked": False})
    with pytest.raises(TypeError):
        renderer.merge(SharedPart("other", shared.data), {"is_liked": True})


def test_fresh_values_replace_shared_fields_on_merge():
    renderer = NOTE.renderer()
    fresh = renderer.fields({**ROW, "user__name": "ann b."}, ["author"])
    merged = renderer.merge(renderer.shared(ROW), {"is_liked": False}, fresh=fresh)
    assert merged["author"] == {"id": "3", "name": "ann b."}


def test_a_cached_entry_comes_back_only_with_exactly_the_shared_fields():
    data = NOTE.renderer().shared(ROW).data
    assert NOTE.shared_from(dict(data)) == SharedPart("note", data)
    assert NOTE.shared_from({**data, "is_liked": True}) is None  # never a viewer's value
    assert NOTE.shared_from({k: v for k, v in data.items() if k != "shout"}) is None
    assert NOTE.shared_from(None) is None


def test_for_everyone_gives_per_viewer_fields_their_everyone_value():
    rendered = NOTE.renderer().for_everyone(ROW)
    assert rendered["is_liked"] is False
    assert list(rendered) == list(NOTE.names)


def test_a_declaration_is_checked():
    with pytest.raises(ValueError):
        ReadModel("x", [column("a"), column("a", "b")])
    with pytest.raises(ValueError):
        ReadModel("x", [Field("a", ("a",), lambda row, ctx: 1, per_viewer=True)])


class _NoteSerializer(serializers.Serializer):
    id = serializers.CharField()
    author = serializers.DictField()
    text = serializers.CharField()
    is_liked = serializers.BooleanField()
    shout = serializers.CharField()


class _OldNoteSerializer(serializers.Serializer):
    id = serializers.CharField()
    text = serializers.CharField()
    extra = serializers.CharField()


def test_serializer_drift_names_the_difference():
    assert serializer_drift(NOTE, _NoteSerializer) == []
    [problem] = serializer_drift(NOTE, _OldNoteSerializer)
    assert "'author'" in problem and "'extra'" in problem
