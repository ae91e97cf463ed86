"""The category picker: the desk's category tree in order, each category by its path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator

from tickets.models import Category


class CategoryTreeIterator(ModelChoiceIterator):
    """A category picker's choices in tree order: each parent, then its children, by name."""

    def __iter__(self) -> Iterator[tuple[Any, str]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for category in sorted(self.queryset, key=Category.tree_key):
            yield self.choice(category)


class CategoryChoiceField(forms.ModelChoiceField):
    """Picks a category by its path ("Billing › Refunds"), the tree in order."""  # noqa: RUF002

    iterator = CategoryTreeIterator

    def label_from_instance(self, obj: Category) -> str:
        return str(obj)
