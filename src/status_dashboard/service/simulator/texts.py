"""The words the simulator puts in names and descriptions: plain English ones, as the v1
contract wants, and the long Unicode ones of `long-texts` that test a client's text handling."""

from __future__ import annotations

DISRUPTIONS = (
    "Requests time out after 30 seconds; we are investigating",
    "Some messages are delivered with a delay of up to one hour",
    "Authentication fails for part of the users; a fix is being deployed",
    "Answers are slow because of a database failover in progress",
    "Requests with attachments larger than 5 MB are refused",
    "The service answers with errors for about one request in ten",
)
"""Descriptions of a disruption, in the tone of the platform's own."""

GROUP_OUTAGE = "The whole service group is unavailable after a network incident in the data centre"

IDP_DISRUPTION = "User can not select profile anymore for each online services protected by IDP"
"""The cookbook's own example description (§5.3.1.2)."""
IDP_RECOVERED = "Fixed: profiles can be selected again; we keep monitoring the service"
BILLING_SLOW = "Slow answers: some requests time out after 30 seconds"
BILLING_IDENTIFIED = "Identified: a database failover is in progress; answers stay slow meanwhile"
BILLING_RECOVERED = "Resolved: answers are back to their usual speed"

FLAPPING = "Unstable: the service fails and recovers within minutes; we are investigating"
CHANGED = "Partial outage: some requests fail; an update follows"

NEW_SERVICES = (
    "WebService eHealth - eHealthBox - Publication v4",
    "REST eHealth - Consent - Informed consent v2",
    "REST eHealth - TherLink - Therapeutic relations v2",
    "REST MyCareNet - eAttest v4",
    "REST eHealth - Addressbook - Consultation v2",
)
"""Names of the items `new-item` brings in, one more per call."""

EMPTY_GROUP = "NEW - Services in preparation"

# Every fragment is a different trap: combining accents, scripts of other widths, emoji made of
# several code points (ZWJ sequences, flags, skin tones), right-to-left text, characters outside
# the Basic Multilingual Plane, JSON escapes, and U+2028, which breaks JavaScript string literals.
UNICODE_FRAGMENTS = (
    "Accès à l'eHealthBox perturbé : les pièces jointes ne s'affichent pas. ",
    "Störung beim Abruf der Versichertendaten – bitte später erneut versuchen. ",
    "Storing bij het ophalen van gegevens; één aanvraag op drie mislukt. ",
    "服务暂时不可用，请稍后再试。",
    "システムは現在メンテナンス中です。",
    "서비스 점검 중입니다. ",
    "الخدمة غير متاحة مؤقتاً، يرجى المحاولة لاحقاً. ",
    "השירות אינו זמין כרגע, נסו שוב מאוחר יותר. ",
    "🚑 🏥 💊 👩\u200d⚕️ 👨🏽\u200d💻 🇧🇪 ",
    "Η υπηρεσία είναι προσωρινά μη διαθέσιμη. ",
    "Decomposed: e\u0301te\u0301, cafe\u0301, Zoe\u0308. ",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕠𝕦𝕥𝕤𝕚𝕕𝕖 𝕥𝕙𝕖 𝔹𝕄ℙ. ",
    "Quotes \"double\", 'single', back\\slash, tab\tand a line\u2028separator. ",
)

NAME_SUFFIXES = (
    "Récupération des données médicales",
    "医疗数据服务",
    "خدمة البيانات الطبية",
    "שירות נתונים רפואיים",
    "Gesundheitsdaten 🩺",
    "Ελληνική υπηρεσία",
    "Dossier médical partagé 🇧🇪",
)

LONG_TEXT_CHARACTERS = 2048


def long_text(start: int) -> str:
    """At least 2,048 characters (more bytes in UTF-8), the fragments taken from `start` on."""
    parts: list[str] = []
    length = 0
    index = start
    while length < LONG_TEXT_CHARACTERS:
        fragment = UNICODE_FRAGMENTS[index % len(UNICODE_FRAGMENTS)]
        parts.append(fragment)
        length += len(fragment)
        index += 1
    return "".join(parts)
