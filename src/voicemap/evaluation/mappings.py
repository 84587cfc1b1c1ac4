"""How other people's labels translate into voicemap's codebook: the written-down mappings.

No public data set labels journey stages or voicemap's touchpoints directly, so the
evaluation maps what they do label (airline complaint reasons, banking intents,
review aspect categories, GoEmotions labels) onto codebook ids. These tables are a
reviewed *mapping*, not native gold: `docs/accuracy.md` prints them next to the
figures. A label mapped to None is left out of that dimension's scoring because it
names no stage (or touchpoint) a reader could agree on.
"""

from __future__ import annotations

from voicemap.codebook import Codebook

# Twitter US Airline Sentiment `negativereason` -> stage (CODEBOOK.md definitions).
AIRLINE_REASON_STAGE: dict[str, str | None] = {
    "Flight Booking Problems": "purchase",
    "Late Flight": "usage",
    "Cancelled Flight": "usage",
    "Bad Flight": "usage",
    "longlines": "usage",
    "Flight Attendant Complaints": "usage",
    "Customer Service Issue": "support",
    "Lost Luggage": "support",  # "support ... lost items"
    "Damaged Luggage": "support",
    "Can't Tell": None,
}

_ONBOARDING = (
    "activate_my_card", "card_arrival", "card_delivery_estimate", "card_linking", "get_physical_card",
    "getting_spare_card", "getting_virtual_card", "get_disposable_virtual_card", "order_physical_card",
    "verify_my_identity", "unable_to_verify_identity", "why_verify_identity", "verify_source_of_funds",
)
_USAGE = (
    "apple_pay_or_google_pay", "atm_support", "automatic_top_up", "balance_not_updated_after_bank_transfer",
    "balance_not_updated_after_cheque_or_cash_deposit", "beneficiary_not_allowed", "cancel_transfer",
    "card_acceptance", "card_not_working", "card_payment_fee_charged", "card_payment_wrong_exchange_rate",
    "card_swallowed", "cash_withdrawal_charge", "change_pin", "contactless_not_working",
    "declined_card_payment", "declined_cash_withdrawal", "declined_transfer", "disposable_card_limits",
    "edit_personal_details", "exchange_charge", "exchange_rate", "exchange_via_app", "extra_charge_on_statement",
    "failed_transfer", "pending_card_payment", "pending_cash_withdrawal", "pending_top_up", "pending_transfer",
    "receiving_money", "reverted_card_payment?", "top_up_by_bank_transfer_charge", "top_up_by_card_charge",
    "top_up_by_cash_or_cheque", "top_up_failed", "top_up_limits", "top_up_reverted", "topping_up_by_card",
    "transfer_fee_charged", "transfer_into_account", "transfer_not_received_by_recipient", "transfer_timing",
    "verify_top_up", "virtual_card_not_working", "wrong_amount_of_cash_received",
    "wrong_exchange_rate_for_cash_withdrawal",
)
_SUPPORT = (  # lost or stolen things, disputes, refunds, being locked out: asking for help to fix it
    "lost_or_stolen_card", "lost_or_stolen_phone", "compromised_card", "request_refund", "Refund_not_showing_up",
    "card_payment_not_recognised", "direct_debit_payment_not_recognised", "cash_withdrawal_not_recognised",
    "transaction_charged_twice", "pin_blocked", "passcode_forgotten",
)
_RETENTION = ("terminate_account",)
# Pre-sale questions an existing customer may equally ask; card renewal is neither staying nor leaving.
_UNMAPPED = ("age_limit", "country_support", "fiat_currency_support", "supported_cards_and_currencies",
             "visa_or_mastercard", "card_about_to_expire")

BANKING77_INTENT_STAGE: dict[str, str | None] = {
    **{i: "onboarding" for i in _ONBOARDING}, **{i: "usage" for i in _USAGE},
    **{i: "support" for i in _SUPPORT}, **{i: "retention" for i in _RETENTION}, **{i: None for i in _UNMAPPED},
}

# SemEval-2016 ABSA ENTITY (and ENTITY#ATTRIBUTE) -> touchpoint. Attribute PRICE(S) always means pricing.
ABSA_ENTITY_TOUCHPOINT: dict[str, str | None] = {
    # restaurants
    "FOOD": "product", "DRINKS": "product", "SERVICE": "staff", "AMBIENCE": "store", "LOCATION": "store",
    "RESTAURANT": None,  # the place as a whole ("great spot", "highly recommend"): an overall verdict
    # laptops: the product and its parts
    **{e: "product" for e in ("LAPTOP", "DISPLAY", "KEYBOARD", "MOUSE", "BATTERY", "OS", "SOFTWARE", "CPU",
                              "GRAPHICS", "HARD_DISC", "MEMORY", "MOTHERBOARD", "PORTS", "POWER_SUPPLY",
                              "OPTICAL_DRIVES", "FANS_COOLING", "MULTIMEDIA_DEVICES", "HARDWARE")},
    "SUPPORT": "staff",  # the people answering the customer (tech support, repair desk)
    "SHIPPING": "delivery",
    "COMPANY": None,  # the brand's reputation: no touchpoint
    "WARRANTY": None,
}
PRICE_ATTRIBUTES = ("PRICE", "PRICES")


def absa_touchpoint(category: str) -> str | None:
    """`FOOD#PRICES` -> pricing_billing, `SERVICE#GENERAL` -> staff, `RESTAURANT#GENERAL` -> None."""
    entity, _, attribute = category.partition("#")
    if attribute in PRICE_ATTRIBUTES:
        return "pricing_billing"
    return ABSA_ENTITY_TOUCHPOINT.get(entity)


def absa_scored_touchpoints() -> set[str]:
    """Touchpoints the ABSA mapping can produce; predictions outside it cannot be judged."""
    return {t for t in ABSA_ENTITY_TOUCHPOINT.values() if t} | {"pricing_billing"}


def goemotions_to_codebook(codebook: Codebook) -> dict[str, str]:
    """GoEmotions label -> codebook emotion, from each emotion's `goemotions` field."""
    mapping: dict[str, str] = {}
    for emotion in codebook.emotions:
        for label in emotion.goemotions:
            mapping[label] = emotion.id
    return mapping


def scored_emotions(codebook: Codebook) -> list[str]:
    """Codebook emotions GoEmotions can judge (trust and skepticism have no GoEmotions label)."""
    return [e.id for e in codebook.emotions if e.goemotions]


def mapping_tables(codebook: Codebook) -> dict[str, dict[str, str | None]]:
    """Every mapping as label -> code, for printing in docs/accuracy.md."""
    absa = {entity: (code or "—") for entity, code in ABSA_ENTITY_TOUCHPOINT.items()}
    absa["*#PRICE(S)"] = "pricing_billing"
    return {
        "GoEmotions label → emotion": {
            e.id: ", ".join(e.goemotions) or "— (no GoEmotions label; not scored)" for e in codebook.emotions},
        "airline negativereason → stage": {k: v or "— (not scored)" for k, v in AIRLINE_REASON_STAGE.items()},
        "BANKING77 intent → stage": _group_by_value(BANKING77_INTENT_STAGE),
        "SemEval-2016 entity → touchpoint": absa,
    }


def _group_by_value(mapping: dict[str, str | None]) -> dict[str, str]:
    grouped: dict[str, list[str]] = {}
    for key, value in mapping.items():
        grouped.setdefault(value or "— (not scored)", []).append(key)
    return {value: ", ".join(sorted(keys)) for value, keys in grouped.items()}
