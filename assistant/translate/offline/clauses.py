"""Clauses of the build stage: the request is split into clauses on and / or / but / except (with the glue
that keeps 'added to cart and didn't buy' one clause), each clause is read by the recognisers, and the
conditions are combined: or-runs, exclusions, negated runs and traits that lead an or-list."""

from __future__ import annotations

import re

from grammar import ast as A

from .context import Builder
from .edit import conjoin, negate
from .items import HEADS, NUMBERS, Item, Kind
from .recognise import RECOGNISERS


def split(b: Builder, items: list[Item]) -> list[tuple[str, list[Item]]]:
    """Clauses and the connective before each: and / or / but / except / lead."""
    clauses: list[tuple[str, list[Item]]] = [("and", [])]
    for k, it in enumerate(items):
        if it.kind == Kind.NEG and re.match(r"\W*both\b", b.request[it.end:], re.I) and \
                any(x.kind == Kind.CONJ and x["op"] == "and" for x in items[k + 1:]):
            # "did not both open the app and use a feature": not the two together, said before them
            b.guess(it, "not the two together (one alone is fine), or neither of them?")
        if it.kind == Kind.CONJ and it["op"] == "not_both":
            it.used = True
            b.guess(it, "exactly one of them?")
        elif it.kind == Kind.CONJ:
            it.used = True
            clauses.append((it["op"], []))
        else:
            clauses[-1][1].append(it)
    # ", and": the closing connective of a comma list (see _list_elements)
    clauses = [(",and" if op in ("and", "but") and k and clauses[k - 1][0] == "," and not clauses[k - 1][1] else op, c)
               for k, (op, c) in enumerate(clauses)]
    clauses = [(op, c) for op, c in clauses if c or op == "except"]
    # glue: "used to X but stopped", "X then Y", "added to cart and didn't buy" are one clause
    out: list[tuple[str, list[Item]]] = []
    for k, (op, clause) in enumerate(clauses):
        # "..., and haven't opened or clicked": a clause that begins an or-run is that run's, not a sequence step
        or_run = k + 1 < len(clauses) and clauses[k + 1][0] == "or"
        if out and not or_run and _glue(out[-1][1], op, clause):
            if op == "but" and clause[0].get("then") and not any(
                    it.kind in (Kind.THEN_TAIL, Kind.WITHIN) for it in clause):
                # "filled a form but haven't subscribed": 'but' contrasts, it does not tell what came next
                b.guess(clause[0], "only after it (a sequence), or at any time?")
            out[-1][1].extend(clause)
        elif out and clause and clause[0].kind == Kind.ALL_OF and len(clause) > 1 and \
                all(it.kind == Kind.WINDOW for it in clause[1:]):
            # "opened email but not clicked, both in the last 2 weeks": each condition said before in the
            # sentence that has no time of its own gets this one
            clause[0].used = True
            for joined_by, earlier in reversed(out):
                if _plain_done(earlier, ellipsis=True) or any(x.kind == Kind.EVENT for x in earlier) and not any(
                        x.kind in (Kind.WINDOW, Kind.WITHIN, Kind.FOR) for x in earlier):
                    earlier.extend(w.copy() for w in clause[1:])
                if joined_by == ";":  # the sentence began here
                    break
            for w in clause[1:]:
                w.used = True
        elif out and op == "," and clause and all(it.kind == Kind.WINDOW for it in clause) and (
                _listed_events(out) or _sentence_events(out)):
            # "not opened, not clicked, 60d": a window as a list element of its own is every element's; so is
            # one closing a sentence of things done, none with a time of its own ("opening our emails but
            # never clicking, in the last three months")
            for earlier in _listed_events(out) or _sentence_events(out):
                earlier.extend(w.copy() for w in clause)
            for w in clause:
                w.used = True
        elif out and not any(it.kind in HEADS and not _restating(it) for it in clause):
            ellipsis = _ellipsis(out[-1][1], clause, op)
            if ellipsis:  # "bought shoes but not in the last 30 days": the exclusion is this clause alone
                out.append(("except_one" if op == "except" else op, ellipsis))
            elif op != "except":
                out[-1][1].extend(clause)  # a clause with no subject of its own belongs to the one before
            else:
                out.append((op, clause))
        else:
            out.append((op, clause))
    if out and not out[0][1] and len(out) > 1 and out[1][0] != "except":
        out = out[1:]
    for _, clause in out:  # "... or started checkout - all within the last 7 days": shared by the or-run already
        for it in clause:
            if it.kind == Kind.ALL_OF:
                it.used = True
    return _hoist_lead(out)


def _listed_events(out: list[tuple[str, list[Item]]]) -> list[list[Item]]:
    """The comma list of two or more events without a window or a count that a lone window closes ('bought
    once, 60 days ago' is when the one order was, not a list)."""
    run = []
    for op, clause in reversed(out):
        run.append(clause)
        if op != ",":
            break
    plain = [c for c in run if any(it.kind == Kind.EVENT for it in c)
             and not any(it.kind in (Kind.WINDOW, Kind.COUNT, *NUMBERS) for it in c)]
    return plain if len(plain) == len(run) >= 2 else []


def _sentence_events(out: list[tuple[str, list[Item]]]) -> list[list[Item]]:
    """The two or more clauses of things done in the sentence so far, when none of them has a time of its own."""
    sentence = []
    for op, clause in reversed(out):
        sentence.append(clause)
        if op == ";":
            break
    done = [c for c in sentence if any(it.kind == Kind.EVENT for it in c)]
    timed = any(it.kind in (Kind.WINDOW, Kind.WITHIN, Kind.FOR, Kind.COUNT, *NUMBERS) for c in done for it in c)
    return done if len(done) >= 2 and not timed else []


def _restating(it: Item) -> bool:
    """'overall', 'in total' with no measure: they say again that a count counts everything."""
    return it.kind == Kind.AGG and it["func"] == "total" and not it.get("spend") and not it.get("prop")


def _hoist_lead(clauses: list[tuple[str, list[Item]]]) -> list[tuple[str, list[Item]]]:
    """'free plan users who opened the app or used a feature': traits before the first event of an
    or-list of events describe the people of every alternative, so they are AND-ed with the whole list
    (clause op 'lead')."""
    def is_trait(it: Item) -> bool:
        return it.kind in (Kind.TRAIT, Kind.CONSENT) or (it.kind == Kind.VALUE and it["trait"])

    if len(clauses) > 2 and clauses[1][0] == "and" and clauses[2][0] == "or" and clauses[0][1] and all(
            is_trait(it) or it.kind == Kind.STOP for it in clauses[0][1]) and any(
            it.kind == Kind.EVENT for it in clauses[1][1]) and not any(
            is_trait(it) for op, c in clauses[2:] if op == "or" for it in c):
        # "in Japan and opened a push or launched the app": who they are, then an or-list of what they did
        return [("lead", clauses[0][1]), ("and", clauses[1][1])] + clauses[2:]
    if len(clauses) < 2 or clauses[1][0] != "or":
        return clauses
    first = clauses[0][1]
    event = next((k for k, it in enumerate(first) if it.kind == Kind.EVENT), None)
    run = [c for op, c in clauses[1:] if op == "or"]
    if not event or not any(is_trait(it) for it in first[:event]) or any(
            it.kind not in (Kind.TRAIT, Kind.CONSENT, Kind.VALUE, Kind.STOP) for it in first[:event]) or any(
            is_trait(it) for c in run for it in c):
        return clauses
    return [("lead", first[:event]), ("and", first[event:])] + clauses[1:]


def _ellipsis(prev: list[Item], clause: list[Item], op: str) -> list[Item] | None:
    """A clause of only a negation (or 'but not') and a window repeats the event (and its values)
    before it: 'bought shoes but not in the last 30 days'."""
    negated = any(it.kind == Kind.NEG for it in clause) or op == "except"
    tails = [it for it in clause if it.kind == Kind.THEN_TAIL]
    if negated and len(tails) == 1 and tails[0].words.lower() == "since" and \
            all(it.kind == Kind.NEG for it in clause if it is not tails[0]):
        tails[0].become(Kind.SAME_WINDOW, {"after": True})  # "bought before May but not since": since then
    kinds = {it.kind for it in clause}
    events = [it for it in prev if it.kind == Kind.EVENT]
    # "bought in May and three times overall": a count alone repeats the event too
    counted = not negated and Kind.COUNT in kinds and not kinds - {Kind.COUNT, Kind.WINDOW, Kind.AGG, Kind.EVER}
    # "bought exactly once, 14 to 30 days ago": a window after a comma tells when the one occurrence was
    once = any((it.kind == Kind.COUNT and it["count"] is not None and it["count"].op == "exactly"
                and it["count"].n == 1) or (it.kind in (Kind.CMP, Kind.NUM) and it.get("value") == 1
                                            and it.get("op", "=") == "=") for it in prev)
    if op == "," and kinds == {Kind.WINDOW} and once and len(events) == 1:
        counted = True
    # "bought, but never with a discount": a negated property repeats the event too, with that property
    said = kinds & {Kind.WINDOW, Kind.SAME_WINDOW, Kind.PROP}
    if len(events) != 1 or not counted and (not negated or not said or
                                            kinds - {Kind.NEG, Kind.WINDOW, Kind.SAME_WINDOW, Kind.PROP}):
        return None
    start = prev.index(events[0])
    copied = [events[0]] + [it for it in prev[start + 1:] if it.kind == Kind.VALUE and not it["trait"]]
    clones = [it.copy() for it in copied]
    neg = [it for it in clause if it.kind == Kind.NEG]
    rest = [it for it in clause if it.kind != Kind.NEG]
    return neg + clones + rest


# "... and they are not unsubscribed": a state, not a step that did not happen after the one before.
_STATE_VERBS = {"is", "are", "was", "were"}


def _glue(prev: list[Item], op: str, clause: list[Item]) -> bool:
    kinds = [it.kind for it in clause]
    if not clause or op == "or" or op == "except":
        return False
    if kinds[0] == Kind.THEN or (Kind.THEN_TAIL in kinds and any(it.kind == Kind.EVENT for it in prev)):
        return True
    if any(it.kind == Kind.USED_TO for it in prev) and (Kind.STOPPED in kinds or Kind.NEG in kinds):
        return True
    first = clause[0]
    # "added to cart and didn't buy" is a sequence; "viewed pricing twice and didn't buy" is not
    prev_positive_event = any(it.kind == Kind.EVENT for it in prev) and not any(
        it.kind in (Kind.NEG, Kind.COUNT) for it in prev)
    # "... and didn't open it": the same thing twice, no order in time between the two
    same_object = any(it.get("pronoun") for it in clause)
    if (first.kind == Kind.NEG and prev_positive_event and kinds.count(Kind.EVENT) == 1 and not same_object
            and (first.get("past") and first.words.lower().split()[0] not in _STATE_VERBS or first.get("without")
                 # "cart 24h, no order": a bare 'no' after something done in a window is what did not follow
                 or first.words.lower() in ("no", "not") and any(it.kind == Kind.WINDOW for it in prev)
                 or Kind.THEN_TAIL in kinds or Kind.WITHIN in kinds)
            and Kind.WINDOW not in kinds and Kind.SAME_WINDOW not in kinds and Kind.COUNT not in kinds):
        first.args["then"] = True
        return True
    # "viewed pricing and started a trial within a day of that view": a step after the one before
    return any(it.kind == Kind.WITHIN and it.get("step") for it in clause) and any(it.kind == Kind.EVENT for it in prev)


def _negated_event(clause: list[Item]) -> bool:
    """'no opens', 'opened zero times': one event negated as a noun or by a zero count (a list of such nouns
    shares what follows it; 'never clicked' is a verb's negation: at any time), and nothing about who people
    are."""
    zero = any((it.kind == Kind.COUNT and it["count"] is not None and it["count"].n == 0) or
               (it.kind in (Kind.NUM, Kind.CMP) and it.get("value") == 0 and it.get("op", "=") == "=") or
               (it.kind == Kind.NEG and it.words.lower() in ("no", "zero", "nothing")) for it in clause)
    # "email subscribers with no opens": who they are may lead; the negated event is what follows the negation
    neg = next((k for k, it in enumerate(clause) if it.kind == Kind.NEG), 0)
    rest = clause[neg:]
    return _only_events(rest) and sum(it.kind == Kind.EVENT for it in rest) == 1 and zero


def _share_negated_window(clauses: list[tuple[str, list[Item]]]) -> None:
    """'opened zero times and clicked zero times in the last 90 days', 'no opens, no clicks in 90 days': in a
    run of negated events joined by and, a window said once at the end covers each of them."""
    i = 0
    while i < len(clauses):
        if not _negated_event(clauses[i][1]):
            i += 1
            continue
        j = i
        while j + 1 < len(clauses) and clauses[j + 1][0] in ("and", ",", ",and") and _negated_event(clauses[j + 1][1]):
            j += 1
        run = [c for _, c in clauses[i:j + 1]]
        windows = [w for w in run[-1] if w.kind == Kind.WINDOW and not w.used]
        if j > i and windows and not any(
                x.kind in (Kind.WINDOW, Kind.WITHIN, Kind.FOR) for c in run[:-1] for x in c):
            for c in run[:-1]:
                c.append(windows[-1].copy())
        i = j + 1


# What gives a clause a time or an amount of its own: a window said at the end of an and-run is not its.
_OWN_TIME = (Kind.WINDOW, Kind.WITHIN, Kind.FOR, Kind.GAP, Kind.COUNT, Kind.CMP, Kind.RANGE, Kind.REGULAR,
             Kind.RANK, Kind.AGG, Kind.SHARE, Kind.WHICH, Kind.SAME_WINDOW, Kind.NEG, Kind.EVER, Kind.STOPPED,
             Kind.USED_TO, Kind.RESTARTED, Kind.THEN, Kind.THEN_TAIL, Kind.GAP_NOT)


def _share_done_window(clauses: list[tuple[str, list[Item]]]) -> None:
    """'opened an email and clicked a link in the last 30 days', 'viewed a product and added to cart this
    week': in a run of things people did, joined by and, with no time, count or negation of their own, the
    window said once at the end is when each was done (said in the read-back)."""
    i = 0
    while i < len(clauses):
        j = i
        # "A, B and C": commas may join the run when "and" closes it
        while j + 1 < len(clauses) and clauses[j + 1][0] in ("and", ",", ",and") and \
                _plain_done(_before_closing_window(clauses[j + 1][1]), ellipsis=True):
            j += 1
            if clauses[j][1][-1].kind == Kind.WINDOW:  # the window closes the run
                break
        while j > i and clauses[j][0] == ",":
            j -= 1
        last = clauses[j][1]
        if j > i and _plain_done(clauses[i][1]) and last and last[-1].kind == Kind.WINDOW and not last[-1].used \
                and sum(x.kind == Kind.WINDOW for x in last) == 1:
            for _, c in clauses[i:j]:
                done = " ".join(x.words for x in c if x.kind in (Kind.EVENT, Kind.VALUE))
                note = f"'{last[-1].words}' read as the time of '{done}' too"
                c.append(last[-1].copy(args={**last[-1].args, "note": note}))
        i = j + 1


def _share_leading_window(clauses: list[tuple[str, list[Item]]]) -> None:
    """'in the last 60 days downloaded 2+ assets and submitted the demo form': a window said first, before
    what people did, is when each thing and-ed after it was done (those with no time of their own)."""
    if not clauses or len(clauses[0][1]) < 2 or clauses[0][1][0].kind != Kind.WINDOW or \
            not any(x.kind == Kind.EVENT for x in clauses[0][1][1:]):
        return
    lead = clauses[0][1][0]
    for op, clause in clauses[1:]:
        if op not in ("and", ",", ",and") or not any(x.kind == Kind.EVENT for x in clause) or any(
                x.kind in (Kind.WINDOW, Kind.WITHIN, Kind.FOR, Kind.SAME_WINDOW) for x in clause):
            break
        done = " ".join(x.words for x in clause if x.kind == Kind.EVENT)
        note = f"'{lead.words}', said first, read as the time of '{done}' too"
        clause.append(lead.copy(args={**lead.args, "note": note}))


def _before_closing_window(clause: list[Item]) -> list[Item]:
    return clause[:-1] if clause and clause[-1].kind == Kind.WINDOW else clause


def _plain_done(clause: list[Item], ellipsis: bool = False) -> bool:
    """A clause saying that people did something, and nothing of when, how often or whether not; after the
    first, the verb may be left out ('used reports and dashboards in the last 30 days')."""
    done = any(x.kind == Kind.EVENT for x in clause) or ellipsis and bool(clause) and all(
        x.kind == Kind.VALUE and not x.get("trait") or x.kind == Kind.STOP for x in clause)
    return done and not any(x.kind in _OWN_TIME for x in clause)


def _share_object(b: Builder, clauses: list[tuple[str, list[Item]]]) -> None:
    """'opened or clicked the Black Friday 2025 email': verbs joined by or / and with one object after the last
    share it: each bare verb before it takes the object's values its event has."""
    for k in range(len(clauses) - 1):
        verb = clauses[k][1]
        nxt = clauses[k + 1][1]
        # the verbs joined directly: "opened or clicked X", not "bought before, who hasn't bought X"
        if clauses[k + 1][0] not in ("or", "and") or not verb or not nxt or nxt[0].kind != Kind.EVENT or any(
                x.kind not in (Kind.EVENT, Kind.NEG, Kind.STOP) for x in verb) or \
                sum(x.kind == Kind.EVENT for x in verb) != 1:
            continue
        event = next(x for x in verb if x.kind == Kind.EVENT)
        props = {p for e in event["events"] for p in b.catalog.event_properties(e)}
        values = [x for x in nxt[1:] if x.kind == Kind.VALUE and not x.get("trait") and x["field"] in props]
        verb.extend(v.copy() for v in values)


def _distribute(b: Builder, clauses: list[tuple[str, list[Item]]]) -> list[tuple[str, list[Item], bool]]:
    """'did not open or click an email in the last 90 days': the window at the end of an or-run applies
    to every clause of it, and a negation at its start negates the whole run."""
    _share_object(b, clauses)
    _share_negated_window(clauses)
    _share_done_window(clauses)
    _share_leading_window(clauses)
    out = [(op, c, False) for op, c in clauses]
    i = 0
    while i < len(out):
        j = i
        while j + 1 < len(out) and out[j + 1][0] == ",":
            j += 1
        if j == i or j + 1 >= len(out) or out[j + 1][0] != "or":
            j = i  # "opened, clicked or bought in the last 7 days": commas before the 'or' are the or-list's
        while j + 1 < len(out) and out[j + 1][0] == "or":
            j += 1
        if j > i:
            run = [c for _, c, _ in out[i:j + 1]]
            windows = [w for w in run[-1] if w.kind == Kind.WINDOW and not w.used]
            if windows and all(any(x.kind == Kind.EVENT for x in c) for c in run):
                for c in run[:-1]:
                    # "last week's viewers who didn't open or click last week": a window before the negation
                    # is the viewers'; the negated verb gets the run's
                    neg = next((k for k, x in enumerate(c) if x.kind == Kind.NEG), -1)
                    if not any(x.kind == Kind.WINDOW for x in c[neg + 1:]):
                        c.append(windows[-1].copy())
            first = run[0]
            neg = next((k for k, x in enumerate(first) if x.kind == Kind.NEG), None)
            if neg is not None and not any(x.kind == Kind.NEG for c in run[1:] for x in c) and \
                    (neg == 0 or _only_events(first[neg + 1:]) and all(_only_events(c) for c in run[1:])):
                # "(SMS subscribers who) haven't opened or clicked an email": not (A or B), said by the
                # negation before the first verb; what comes before it stays outside ("SMS subscribers")
                first[neg].used = True
                if neg > 0:
                    out[i:i + 1] = [(out[i][0], first[:neg], False), ("and", first[neg:], True)]
                    i, j = i + 1, j + 1
                out[i] = (out[i][0], out[i][1], True)
                for k in range(i + 1, j + 1):
                    out[k] = (out[k][0], out[k][1], True)
        i = j + 1
    return out


def _only_events(clause: list[Item]) -> bool:
    """A clause that names what people did and nothing about who they are (no trait, value or segment)."""
    return any(x.kind == Kind.EVENT for x in clause) and not any(
        x.kind in HEADS and x.kind != Kind.EVENT for x in clause)


def combine(b: Builder, clauses: list[tuple[str, list[Item]]]) -> A.Condition | None:
    return _assemble(b, _distribute(b, clauses))


def _groups(b: Builder, clauses: list[tuple[str, list[Item], bool]]) -> dict[int, int]:
    """Clauses the user grouped (first index -> end): the ones inside a pair of parentheses ("AND (opened
    OR clicked OR signed up)"), and an or-run that 'either' begins ("subscribers and either opened or
    clicked"). A group is one condition, whatever connective joins it to the rest."""
    starts = [c[0].start if c else -1 for _, c, _ in clauses]
    groups: dict[int, int] = {}
    spans, open_at = [], []
    for m in re.finditer(r"[()]", b.request):
        if m.group() == "(":
            open_at.append(m.start())
        elif open_at:
            spans.append((open_at.pop(), m.start()))
    for lo, hi in spans:
        inside = [k for k, at in enumerate(starts) if lo < at < hi]
        if len(inside) > 1 and inside == list(range(inside[0], inside[-1] + 1)):
            groups.setdefault(inside[0], inside[-1] + 1)
    for k, at in enumerate(starts):
        if k and at > 0 and re.search(r"\beither\W*$", b.request[:at], re.I):
            end = k + 1
            while end < len(clauses) and clauses[end][0] in ("or", ","):
                end += 1
            if end - k > 1 and clauses[end - 1][0] == "or":
                groups.setdefault(k, end)
    return groups


def _assemble(b: Builder, clauses: list[tuple[str, list[Item], bool]]) -> A.Condition | None:
    base: list[tuple[str, A.Condition]] = []
    excluded: list[A.Condition] = []
    in_except = False
    negated_run: list[A.Condition] = []
    leads: list[A.Condition] = []
    groups = {k: end for k, end in _groups(b, clauses).items() if (k, end) != (0, len(clauses))}
    k = 0
    while k < len(clauses):
        op, clause, negated = clauses[k]
        k += 1
        if k - 1 in groups and op not in ("lead", "except", "except_one"):
            end = groups[k - 1]
            cond = _assemble(b, [("and", clause, negated), *clauses[k:end]])
            k = end
            if cond is not None:
                if negated_run:
                    base.append(("and", negate(conjoin(A.Or, negated_run))))
                    negated_run = []
                if in_except:
                    excluded.append(cond)
                else:
                    base.append((op, cond))
            continue
        if op == "lead":
            leads += [c for c in [read_clause(b, clause)] if c is not None]
            continue
        asked_again = in_except and clause and k > 1 and clauses[k - 2][1] and re.search(
            r"\b(?:give|show|get|find|pull|send) me\b|\bi (?:want|need)\b",
            b.request[clauses[k - 2][1][-1].end:clause[0].start], re.I)
        if op == ";" or asked_again or in_except and op in (",and", "and") and clause and clause[0].get("subject"):
            # a new line or sentence, or "..., and they are not unsubscribed" (said of everyone again, with a
            # negation of its own, which no one excludes): what an 'except' began has ended
            in_except = False
        if op == "except":
            in_except = True
        elif in_except and clause and clause[0].kind == Kind.NEG and \
                clause[0].words.lower() in ("not", "nor", "nobody", "no one", "neither"):
            clause[0].used = True  # "but not the free plan, and not anyone who ordered": the exclusion said again
        cond = read_clause(b, clause) if clause else None
        if cond is None:
            continue
        if op == "except_one":
            excluded.append(cond)
            continue
        if negated:
            negated_run.append(cond)
            continue
        if negated_run:
            base.append(("and", negate(conjoin(A.Or, negated_run))))
            negated_run = []
        if in_except:
            excluded.append(cond)
            continue
        base.append((op, cond))
    if negated_run:
        base.append(("and", negate(conjoin(A.Or, negated_run))))
    if not base and not excluded:
        return None
    parts = leads + [_or_of_ands(e) for group in _criteria(base) for e in _list_elements(group) if e]
    parts += [negate(c) for c in excluded]
    node = conjoin(A.And, parts)
    if isinstance(node, A.And):  # "EU contacts (Germany, France, ...)": a condition said twice is one condition
        kept = [c for k, c in enumerate(node.conditions) if c not in node.conditions[:k]]
        node = conjoin(A.And, kept)
    return node


def _criteria(base: list[tuple[str, A.Condition]]) -> list[list[tuple[str, A.Condition]]]:
    """Criteria listed on lines, after semicolons or in sentences: each is read on its own (an 'or' inside
    one stays inside it), and all of them hold."""
    groups: list[list[tuple[str, A.Condition]]] = [[]]
    for op, cond in base:
        if op == ";" and groups[-1]:
            groups.append([])
        groups[-1].append(("and", cond) if op == ";" else (op, cond))
    return groups


def _or_of_ands(base: list[tuple[str, A.Condition]]) -> A.Condition:
    """'A and B or C': and binds tighter than or."""
    terms: list[list[A.Condition]] = [[]]
    for op, cond in base:
        if op == "or" and terms[-1]:
            terms.append([])
        terms[-1].append(cond)
    return conjoin(A.Or, [conjoin(A.And, t) for t in terms if t])


def _list_elements(base: list[tuple[str, A.Condition]]) -> list[list[tuple[str, A.Condition]]]:
    """'opened or clicked, has received one, and never unsubscribed': in a comma list closed by 'and' the
    commas and that last 'and' separate the elements, and an 'or' inside an element stays inside it."""
    ops = [op for op, _ in base[1:]]
    if len(ops) > 1 and ops[-1] == "or" and all(op == "," for op in ops[:-1]):  # "A, B, or C": an or-list
        return [[base[0], *(("or", cond) for _, cond in base[1:])]]
    commas = [i for i, (op, _) in enumerate(base) if op in (",", ",and")]
    if not commas or not any(op == "or" for op, _ in base):
        return [base]
    if all(i < commas[0] for i, (op, _) in enumerate(base) if op == "or"):
        # "City = Amsterdam OR City = Rotterdam, Email Consent = Yes": a comma after the or-run closes it
        cuts = [0, *commas, len(base)]
        return [[("and", base[a][1]), *base[a + 1:b]] for a, b in zip(cuts, cuts[1:]) if a < b]
    if base[commas[-1]][0] == ",and":  # "..., and email or SMS consent": an 'or' after the closer is inside
        closing = commas[-1]
    else:  # "A, B or C" is an or-list, not an element
        closing = next((i for i in range(commas[-1] + 1, len(base)) if base[i][0] in ("and", "but")), None)
        if closing is None or any(op == "or" for op, _ in base[commas[-1] + 1:]):
            return [base]
    cuts = [0, *commas, closing, len(base)]
    return [[("and", base[a][1]), *base[a + 1:b]] for a, b in zip(cuts, cuts[1:]) if a < b]


def read_clause(b: Builder, items: list[Item]) -> A.Condition | None:
    """The conditions one clause states, AND-ed in the order they were said. Recognisers run most specific
    first (RECOGNISERS)."""
    conds: list[tuple[int, A.Condition]] = []
    for recognise in RECOGNISERS:
        conds += recognise(b, items)
    if not conds:
        return None
    conds.sort(key=lambda c: c[0])
    result = conjoin(A.And, [c for _, c in conds])
    for k, it in enumerate(items):
        if it.kind != Kind.ONLY or it.used:
            continue
        # "bought shoes but only on sale", "2 purchases, each flowers", "bought shoes only": every one of them so,
        # or some? Not read, so asked (unless an 'only' before was read as every one of them already: "only
        # ever buy on sale, every order discounted")
        nxt = items[k + 1] if k + 1 < len(items) else None
        said_of = nxt if nxt is not None else items[k - 1] if k else None
        if said_of is not None and said_of.kind in (Kind.VALUE, Kind.PROP) and not said_of.get("trait"):
            b.use(it)
            if not any(x.get("exclusive") for x in items):
                b.guess(it, "that every one of them was so (and none was not), or that at least one was?")
    # A negation left over negates the clause's one condition only when something it could negate follows it
    # ("not ... in Germany"); a trailing one ("in Germany who did not frobnicate") stays unplaced (partial).
    leftover_neg = [it for i, it in enumerate(items) if it.kind == Kind.NEG and not it.used
                    and any(x.used and x.kind in HEADS for x in items[i + 1:])]
    if leftover_neg and len(conds) == 1:
        for it in leftover_neg:
            b.use(it)
        result = negate(result)
    return result
