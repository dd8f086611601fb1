"""What the tests of the forms read on a page: the message a refusal put under one field (issue 20, point 2:
"forms have labels and error messages tied to their fields")."""

from __future__ import annotations

import html
import re


def message_under(page: str, field_id: str, tag: str = "input") -> str:
    """The error message under the field `field_id`, which the field is marked invalid for and described
    by (aria-invalid, aria-describedby), as the DSFR draws it; fails when there is none."""
    field = re.search(rf'<{tag}\b[^>]*\bid="{re.escape(field_id)}"[^>]*>', page, flags=re.DOTALL)
    assert field is not None, f"no <{tag} id={field_id}> in the page"
    assert f'aria-describedby="{field_id}-messages"' in field.group(0), field.group(0)
    assert 'aria-invalid="true"' in field.group(0), field.group(0)
    message = re.search(
        rf'<div class="fr-messages-group" id="{re.escape(field_id)}-messages" aria-live="polite">\s*'
        rf'<p class="fr-message fr-message--error" id="{re.escape(field_id)}-message-error">([^<]+)</p>',
        page,
    )
    assert message is not None, f"no error message under {field_id}"
    return html.unescape(message.group(1))


def alerts(page: str) -> list[str]:
    """The texts of the page's error alerts (the layout's, at the top of the page)."""
    return [
        html.unescape(text)
        for text in re.findall(
            r'<div class="fr-alert fr-alert--error fr-alert--sm[^"]*">\s*<p>([^<]+)</p>', page
        )
    ]
