"""Password sign-in without Django's per-user and per-group model permissions.

Quarterdeck grants rights from memberships (accounts/rules.py) and org-admin status
(superusers). Django's user/group permission tables stay empty, so asking them costs two
queries per request for nothing; this backend answers "none" without asking.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


class PasswordBackend(ModelBackend):
    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()
