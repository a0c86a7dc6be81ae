"""A pump alarm or an empty the note itself explains as something other than the IT
pump's reservoir.

"Pump alarm per pt" reads as a possible empty reservoir, and rightly: most alarms a patient
reports are the low-reservoir alarm. But notes often settle it a sentence or two later
("Interrogation: ERI alarm (battery). Reservoir 8.0 mL, consistent with expected"), beyond
the reach of a sentence-bound ConText rule. When the note names a non-reservoir cause (the
battery's elective replacement indicator, a motor stall, "not a reservoir alarm") **and**
states the reservoir is not low (every volume it gives is at least MIN_RESERVOIR_ML, or it
says the reservoir is fine, adequate, as expected, not empty), and nowhere speaks of a low,
critical or empty reservoir or of withdrawal signs, then a bare alarm mention ("pump
beeping", "alarm sounding") is not an empty-pump finding. A mention that itself says
empty, dry, low or 0 mL always stands, and so does everything else the note says.

Likewise another device: when the note names one (an IV or insulin pump, a CADD, a
syringe driver, a feeding pump, a compression device, an oxygen concentrator, a wound VAC,
pills) **and** says the intrathecal pump itself is fine ("IT pump: no alarms, reservoir
9.8 mL", "intrathecal pump not involved"), and speaks of no withdrawal, then an empty or
alarm mention that does not name the intrathecal pump belongs to the other device.
"""

from __future__ import annotations

import re

from cds_service.note_reading.mention import Mention

# The low-reservoir alarm is set at 1-2 mL on the pumps in use; below 2 mL nothing is settled.
MIN_RESERVOIR_ML = 2.0
NON_RESERVOIR_CAUSE = re.compile(
    r"\b(?:ERI|EOL|elective\s+replacement(?:\s+indicator)?|end[- ]of[- ](?:service|life)|"
    r"battery|batt\b|motor\s+stall|stall(?:ed)?\s+motor|rotor|non-?reservoir|"
    r"not\s+(?:a|the)\s+(?:low[- ])?reservoir\s+alarm|memory\s+error)",
    re.I,
)
VOLUME = re.compile(
    r"\b(?:reservoir|res|RV|residual|resid|volume|vol)\b"
    r"(?:\s*(?:volume|vol|est\.?|estimated|is|was|of|at|now|approx\.?|about|reads?|[:=~-]))*"
    r"\s*~?\s*(\d+(?:\.\d+)?)\s*(?:mL|ml|cc)\b"
    r"|(\d+(?:\.\d+)?)\s*(?:mL|ml|cc)\s+(?:left\s+|remaining\s+)?in\s+(?:the\s+)?(?:reservoir|pump|it)\b",
    re.I,
)
# A refill within the last two weeks ("refilled 9 days ago"): a reservoir holds months of drug.
_DAYS_AGO = r"(?:[1-9]|1[0-4])\s*(?:d|days?)\s+ago"
NOT_LOW = re.compile(
    r"\b(?:reservoir|residual|RV|volume)\b[^.;\n]{0,25}?\b(?:fine|adequate|appropriate|ok|okay|"
    r"as\s+expected|consistent\s+with|normal|not\s+(?:low|empty|an\s+issue|the\s+issue))\b"
    r"|\bnot\s+empty\b|\bnot\s+a\s+(?:low[- ])?reservoir\s+alarm\b"
    r"|\bno\s+(?:low[- ])?reservoir\s+alarm\b"
    # refilled within the last two weeks
    rf"|\b(?:reservoir|pump)\s+(?:was\s+|has\s+been\s+)?refilled\s+(?:{_DAYS_AGO}|"
    r"(?:one\s+week|a\s+week|(?:1|one|2|two)\s+(?:wks?|weeks?))\s+ago)\b"
    r"|\b(?:reservoir|pump)\s+(?:was\s+|has\s+been\s+)?refilled\s+(?:yesterday|today)\b",
    re.I,
)
LOW = re.compile(
    r"(?<!not\s)(?<!no\s)(?<!\bnot\sa\s)\b(?:low[- ]?(?:reservoir|res|volume)|LRA"
    r"|critical(?:[- ]low)?\s+(?:reservoir|alarm|volume)|empty|dry|depleted"
    r"|ran\s+out|run\s+out|running\s+out)\b",
    re.I,
)
# a mention that names only an alarm going off, not the state of the reservoir
SAYS_ONLY_ALARM = re.compile(
    r"alarm|alert|beep|chirp|ding|chim|buzz|sound|going\s+off|went\s+off", re.I
)
SAYS_RESERVOIR = re.compile(r"low|critical|empty|dry|reservoir|\bres\b|LRA|\b0\b|out\b", re.I)


OTHER_DEVICE = re.compile(
    r"\b(?:IV\s+(?:infusion\s+)?pump|infusion\s+pump|Alaris|PCA|CADD|syringe\s+driver|insulin|"
    r"Omnipod|feeding\s+pump|enteral|gavage|Kangaroo|SCDs?|sequential\s+compression|"
    r"compression\s+device|oxygen|concentrator|wound\s+VAC|VAC\b|ventilator|BiPAP|CPAP|"
    r"wheelchair|bed\s+alarm|med(?:ication)?\s+box|pills?|tablets?|oral|"
    # alarms that are not a pump's at all
    r"smoke\s+(?:detector|alarm)|fire\s+alarm|(?:CO|carbon\s+monoxide)\s+(?:detector|alarm)|"
    r"CTG|cardiotocograph\w*|fetal\s+monitor|(?:dialysis|HD|CRRT)\s+machine|machine\s+alarm|"
    r"telemetry|pulse\s+ox\w*|apnea\s+monitor|alarm\s+clock|car\s+alarm|"
    r"(?:back-?up|reversing)\s+alarm|forklift)\b",
    re.I,
)
IT_PUMP = (
    r"\b(?:(?:IT|ITB|ITP|ITDD|IDDS|intrathecal|implanted|SynchroMed|Prometra)"
    r"(?:\s+(?:baclofen|morphine|hydromorphone|of\s+baclofen))?(?:\s+(?:pump|device))?|pain\s+pump)\b"
)
IT_PUMP_NAMED = re.compile(IT_PUMP, re.I)
IT_PUMP_FINE = re.compile(
    IT_PUMP
    + r"[^.;\n]{0,40}?(?:no\s+(?:active\s+)?alarms?|not\s+(?:involved|alarming|the\s+source|"
    r"affected)|silent|fine|ras\b|normal|no\s+issues?|unaffected|"
    rf"refilled\s+{_DAYS_AGO}|(?:RV|reservoir|residual)\s+as\s+(?:predicted|expected)|"
    r"(?:reservoir|RV)\s+(?:checked\s+)?(\d+(?:\.\d+)?)\s*mL)"
    # ... or there is none: "has no intrathecal pump (managed orally)"
    r"|\b(?:has\s+)?no\s+(?:IT|intrathecal|implanted)\s+(?:drug\s+)?pump\b",
    re.I,
)
WITHDRAWAL = re.compile(
    r"(?<!no\s)(?<!not\s)(?<!signs\sof\s)"
    # advice about what may come is no sign now ("watch for withdrawal")
    r"(?<!watch\sfor\s)(?<!monitor\sfor\s)(?<!observe\sfor\s)(?<!risk\sof\s)(?<!educated\son\s)"
    r"\b(?:withdrawal|itching|pruritus|spasms?|rebound)\b",
    re.I,
)


def another_device(text: str) -> bool:
    """Whether the note puts its alarm or empty on another device, the IT pump being fine."""
    if not OTHER_DEVICE.search(text) or WITHDRAWAL.search(text):
        return False
    fine = list(IT_PUMP_FINE.finditer(text))
    return bool(fine) and all(
        f.group(1) is None or float(f.group(1)) >= MIN_RESERVOIR_ML for f in fine
    )


def alarm_explained(text: str) -> bool:
    """Whether the note explains its alarm as a non-reservoir one with a reservoir not low."""
    if not NON_RESERVOIR_CAUSE.search(text) or LOW.search(text) or WITHDRAWAL.search(text):
        return False  # withdrawal signs beside an explained alarm still want a look
    volumes = [float(a or b) for a, b in VOLUME.findall(text)]
    if volumes:
        return min(volumes) >= MIN_RESERVOIR_ML
    return bool(NOT_LOW.search(text))


def without_explained_alarms(
    mentions: list[Mention], explained: bool, elsewhere: bool = False
) -> list[Mention]:
    """The mentions, less the bare EMPTY_PUMP alarm mentions of a note whose alarm is
    explained, and less the EMPTY_PUMP mentions not naming the IT pump of a note that puts
    them on another device (``elsewhere``)."""
    if not (explained or elsewhere):
        return mentions
    return [m for m in mentions if not _explained(m, explained, elsewhere)]


def _explained(mention: Mention, explained: bool, elsewhere: bool) -> bool:
    if mention.category != "EMPTY_PUMP":
        return False
    if elsewhere and not IT_PUMP_NAMED.search(mention.text):
        return True
    return (
        explained
        and bool(SAYS_ONLY_ALARM.search(mention.text))
        and not SAYS_RESERVOIR.search(mention.text)
    )


# A past empty or missed refill the note settles with the refills since ("Pump ran dry
# 1/2023. Since then every refill on time (7 consecutive)", "Since then refills 4/1 and 5/1
# on time"): the episode is history. Only when nothing after that statement speaks of a low
# or empty reservoir, an alarm or withdrawal (a new episode since would).
ON_TIME_SINCE = re.compile(
    r"\bsince\s+(?:then|that|which)\b[^.\n]{0,60}?(?:\b(?:every|all|each)\s+(?:\w+\s+)?refills?\b"
    r"[^.\n]{0,20}?\bon[- ]time|\brefills?\b[^.\n]{0,40}?\bon[- ]time|\bon[- ]time\s+refills?)"
    r"|\bon[- ]time\s+refills?\s+(?:\d{1,2}/\d{1,2}\W+(?:and\s+)?){2,}",
    re.I,
)
_ALARM_NOW = re.compile(r"(?<!no\s)(?<!not\s)(?<!without\s)\b(?:alarm\w*|alert\w*|beep\w*)\b", re.I)


def settled_since(text: str) -> bool:
    """Whether the note says refills have been on time since its empty or missed refill,
    and says nothing of a new one after that."""
    found = ON_TIME_SINCE.search(text)
    if found is None:
        return False
    after = text[found.end() :]
    return not (LOW.search(after) or WITHDRAWAL.search(after) or _ALARM_NOW.search(after))


def without_settled_episodes(mentions: list[Mention], settled: bool) -> list[Mention]:
    """The mentions, less the empty-pump and missed-refill ones of a note that settles its
    episode with the on-time refills since."""
    if not settled:
        return mentions
    return [m for m in mentions if m.category not in ("EMPTY_PUMP", "MISSED_REFILL")]
