"""`manage.py rotate_keys`: re-encrypt every encrypted column with the first FIELD_ENCRYPTION_KEY."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from config.key_rotation import rotate_all_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored credential with the first key of FIELD_ENCRYPTION_KEY (the others only "
        "decrypt). Safe to run again: values already under the first key are left as they are."
    )

    def handle(self, *args, **options) -> None:
        reports = rotate_all_keys()
        for report in reports:
            self.stdout.write(
                f"{report.label}: {report.rotated} re-encrypted, {report.current} already current, "
                f"{report.unreadable} unreadable"
            )
        rotated = sum(r.rotated for r in reports)
        unreadable = sum(r.unreadable for r in reports)
        self.stdout.write(f"Total: {rotated} re-encrypted, {sum(r.current for r in reports)} already current.")
        if unreadable:
            raise CommandError(
                f"{unreadable} stored value(s) could not be decrypted with any FIELD_ENCRYPTION_KEY: "
                "add the key they were written with (after the first) and run rotate_keys again."
            )
