"""The model translator: plain English -> segment DSL through any OpenAI-compatible endpoint, with the
grammar and the catalog as the judge.

Four ways to ask (ModelConfig.mode), chosen per model capability:
- grammar: OpenAI Responses API with a custom tool whose input format is the catalog-specialised Lark
  grammar, so the model can only emit well-formed DSL with known names; two function tools carry a
  clarifying question or a refusal instead.
- json: Chat Completions with a strict JSON schema envelope {dsl, assumptions, open_points, question, refusal}.
- text: Chat Completions, plain text (`ASSUME:` / `UNPLACED:` / `QUESTION:` / `REFUSE:` lines, else the DSL).
- llguidance: Chat Completions plus llama.cpp's `grammar` field holding the specialised Lark grammar
  (`%llguidance` prefix, one line): llama.cpp servers built with llguidance, including xllamacpp
  in-process (assistant/translate/local_model.py).

Whatever comes back is parsed and checked (grammar.check.validate); errors, with line/column and
"did you mean", go back to the model in a bounded repair loop. The model states the words it could not place
(`UNPLACED:` lines, or `open_points` in json mode): the answer is then `partial`, never a finished-looking
guess; the pipeline's accounting confirms the rest (assistant/translate/accounting.py). Nothing but checked DSL leaves this
module, so SQL or prose from a model never passes. Endpoint faults become a ModelError in words.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

import openai
from openai import OpenAI
from openai.types.chat import ChatCompletion
from openai.types.responses import Response

from assistant.config import ModelConfig
from assistant.translate.accounting import locate, question_for
from assistant.translate.prompt import build_messages
from assistant.translate.contract import Translation, Usage
from grammar import ast as A
from grammar.catalog import Catalog
from grammar.check import validate
from grammar.errors import SegmentError
from grammar.format import format_segment
from grammar.specialise import constrained_reading, llguidance_error, one_line, specialise_grammar

TOOL_NAME = "segment_dsl"
_NOT_API = "the endpoint's reply was not an API response (not JSON); answer again"
_FENCE = re.compile(r"```[a-zA-Z]*\n?(.*?)```", re.DOTALL)
_TAGGED = re.compile(r"^\s*(ASSUME|ASSUMPTION|ASSUMPTIONS|UNPLACED|QUESTION|REFUSE|REFUSAL|SEGMENT)\s*:\s*(.*)$",
                     re.IGNORECASE)

# json mode asks for the DSL text inside a small envelope rather than the AST as JSON: the DSL goes
# through the same parser as every other mode, so repairs get line/column errors and suggestions; the
# AST's recursive discriminated-union schema is large (tokens on every request) and not expressible
# in OpenAI's strict subset; and models write the short DSL more reliably than deep JSON trees.
ENVELOPE_SCHEMA = {
    "type": "object",
    "properties": {
        "dsl": {"type": ["string", "null"], "description": "the segment definition in the segment language"},
        "assumptions": {"type": "array", "items": {"type": "string"}},
        "open_points": {"type": "array", "items": {"type": "string"},
                        "description": "words of the request that change who is in the segment but that the "
                                       "segment could not express"},
        "question": {"type": ["string", "null"], "description": "a clarifying question instead of a guess"},
        "refusal": {"type": ["string", "null"], "description": "why no segment can be written"},
    },
    "required": ["dsl", "assumptions", "open_points", "question", "refusal"],
    "additionalProperties": False,
}

_QUESTION_TOOL = {
    "type": "function",
    "name": "ask_clarifying_question",
    "description": "Ask the marketer one short question when the request is ambiguous in a way that changes "
                   "who is in the segment.",
    "parameters": {"type": "object", "properties": {"question": {"type": "string"}},
                   "required": ["question"], "additionalProperties": False},
    "strict": True,
}
_REFUSE_TOOL = {
    "type": "function",
    "name": "refuse",
    "description": "Decline a request that is not a segment (SQL, changing data, anything else).",
    "parameters": {"type": "object", "properties": {"reason": {"type": "string"}},
                   "required": ["reason"], "additionalProperties": False},
    "strict": True,
}


class ModelError(Exception):
    """The model endpoint failed, or the model gave no valid segment within the allowed tries."""


@dataclass
class _Answer:
    """One reply of the model, read according to the mode's answer protocol."""

    dsl: str | None = None
    assumptions: list[str] = field(default_factory=list)
    open_points: list[str] = field(default_factory=list)  # request words the model could not place
    question: str | None = None
    refusal: str | None = None
    problem: str | None = None  # why the reply is unusable as it stands (fed back to the model)


def parse_text_answer(content: str | None) -> _Answer:
    """Text protocol: `ASSUME:` and `UNPLACED:` lines, then the DSL; or `QUESTION: ...`; or `REFUSE: ...`.
    A question next to a DSL with unplaced words asks about them (a partial answer). A code fence around the
    DSL is tolerated (models add them however they are asked)."""
    if not content or not content.strip():
        return _Answer(problem="the reply was empty; answer with a segment definition")
    fenced = _FENCE.search(content)
    body_source = fenced.group(1) if fenced else content
    answer = _Answer()
    rest: list[str] = []
    for line in content.splitlines():
        m = _TAGGED.match(line)
        if not m:
            continue
        tag, text = m.group(1).upper(), m.group(2).strip()
        if tag.startswith("ASSUM"):
            answer.assumptions += [a.strip() for a in text.split(";") if a.strip()]
        elif tag == "UNPLACED":
            answer.open_points += [w.strip().strip("'\"") for w in text.split(";") if w.strip().strip("'\"")]
        elif tag == "QUESTION" and text:
            answer.question = text
        elif tag.startswith("REFUS") and text:
            answer.refusal = text
    for line in body_source.splitlines():
        m = _TAGGED.match(line)
        if m and m.group(1).upper() == "SEGMENT":
            rest.append(m.group(2))
        elif not m:
            rest.append(line)
    dsl = "\n".join(rest).strip()
    if answer.refusal or (answer.question and not (answer.open_points and dsl)):
        return answer
    answer.dsl = dsl or None
    if not answer.dsl:
        answer.problem = "the reply had no segment definition"
    return answer


def parse_json_answer(content: str | None) -> _Answer:
    try:
        data = json.loads(content or "")
    except json.JSONDecodeError as err:
        return _Answer(problem=f"the reply was not the JSON object asked for ({err.msg} at character {err.pos})")
    if not isinstance(data, dict):
        return _Answer(problem="the reply was JSON but not an object with dsl, assumptions, question, refusal")

    def text(key: str) -> str | None:
        value = data.get(key)
        return (value.strip() or None) if isinstance(value, str) else None

    assumptions = [a for a in data.get("assumptions") or [] if isinstance(a, str) and a.strip()]
    open_points = [w.strip() for w in data.get("open_points") or [] if isinstance(w, str) and w.strip()]
    answer = _Answer(dsl=text("dsl"), assumptions=assumptions, open_points=open_points, question=text("question"),
                     refusal=text("refusal"))
    if not (answer.dsl or answer.question or answer.refusal):
        answer.problem = "the JSON object had none of dsl, question or refusal set"
    return answer


def _cause_text(err: BaseException) -> str:
    """The root reason of a connection failure, in words ('connection refused', 'name not resolved')."""
    seen = err
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError) or "refused" in str(seen).lower():
            return "connection refused"
        seen = seen.__cause__ or seen.__context__
    root = err
    while root.__cause__ or root.__context__:
        root = root.__cause__ or root.__context__
    return str(root) or type(root).__name__


class ModelTranslator:
    """Translator backed by an OpenAI-compatible model (see the module docstring for the modes)."""

    provider = "openai"

    def __init__(self, config: ModelConfig, extra_body: dict | None = None):
        self.config = config
        self.extra_body = extra_body or {}
        self.client = OpenAI(base_url=config.base_url, api_key=config.api_key or "not-needed",
                             timeout=config.timeout, max_retries=config.max_retries)

    @property
    def _attempts(self) -> str:
        n = self.config.max_retries + 1
        return f"{n} attempt" if n == 1 else f"{n} attempts"

    @property
    def base_url(self) -> str:
        return str(self.client.base_url).rstrip("/")

    # ---- the repair loop ---------------------------------------------------------------------------

    def translate(self, request: str, *, catalog: Catalog, as_of: datetime, current: A.Condition | None = None,
                  segments: dict[str, A.Condition] | None = None) -> Translation:
        mode = self.config.mode
        segments = segments or {}
        # the prompt is an edge: the current and saved segments go to the model as DSL text
        messages = build_messages(request, catalog, as_of,
                                  current=format_segment(current) if current is not None else None,
                                  segments={name: format_segment(node) for name, node in segments.items()},
                                  version=self.config.prompt, mode=mode)
        grammar = None
        if mode in ("grammar", "llguidance"):
            grammar = specialise_grammar(catalog, segments=list(segments))
            problem = llguidance_error(grammar)
            if problem:
                raise ModelError(f"the catalog-specialised grammar is not accepted by llguidance: {problem}")
        conversation = _Conversation(mode, messages, grammar)
        usage = Usage()
        feedback = ""
        for attempt in range(1, self.config.max_tries + 1):
            answer = self._ask(conversation, usage)
            if answer.refusal or (answer.question and not answer.dsl):
                return self._result(attempt, usage, question=answer.question, refusal=answer.refusal,
                                    assumptions=answer.assumptions)
            if answer.problem is None:
                if grammar:
                    answer.dsl = constrained_reading(answer.dsl, grammar)
                try:
                    node, warnings = validate(answer.dsl, catalog, segments)
                except SegmentError as err:
                    answer.problem = "\n".join(d.render(answer.dsl) for d in err.diagnostics)
                else:
                    points = [locate(request, words, "the model could not place it") for words in answer.open_points]
                    return self._result(attempt, usage, condition=node, assumptions=answer.assumptions,
                                        warnings=[d.render() for d in warnings], open_points=points,
                                        question=answer.question or (question_for(points) if points else None))
            feedback = answer.problem
            conversation.add_feedback(answer.problem)
        raise ModelError(f"the model ({self.config.model}) gave no valid segment in {self.config.max_tries} "
                         f"tries; the last answer's problem:\n{feedback}")

    def _result(self, tries: int, usage: Usage, **fields) -> Translation:
        return Translation(tries=tries, provider=self.provider, model=self.config.model, usage=usage, **fields)

    # ---- one request -------------------------------------------------------------------------------

    def _ask(self, conversation: "_Conversation", usage: Usage) -> _Answer:
        try:
            if conversation.mode == "grammar":
                return self._ask_responses(conversation, usage)
            return self._ask_chat(conversation, usage)
        except openai.APITimeoutError:
            raise ModelError(f"the model at {self.base_url} did not answer within {self.config.timeout:g} s "
                             f"({self._attempts})") from None
        except openai.APIConnectionError as err:
            raise ModelError(f"cannot reach the model at {self.base_url}: {_cause_text(err)}") from None
        except openai.AuthenticationError as err:
            raise ModelError(f"the model at {self.base_url} rejected the API key (401): {_message(err)}") from None
        except openai.RateLimitError as err:
            raise ModelError(f"the model at {self.base_url} is rate limited (429) after {self._attempts}: "
                             f"{_message(err)}") from None
        except openai.APIStatusError as err:
            hint = ""
            if err.status_code in (400, 404, 422) and conversation.mode != "text":
                hint = f" (if the endpoint does not support SEGMENT_MODE={conversation.mode}, try SEGMENT_MODE=text)"
            raise ModelError(f"the model at {self.base_url} answered HTTP {err.status_code}: "
                             f"{_message(err)}{hint}") from None
        except openai.APIResponseValidationError as err:
            return _Answer(problem=f"the endpoint's reply was not understood: {err.message}")
        except json.JSONDecodeError:  # a body cut off mid-JSON: the client fails to decode it
            return _Answer(problem=_NOT_API)

    def _ask_chat(self, conversation: "_Conversation", usage: Usage) -> _Answer:
        kwargs: dict = {"model": self.config.model, "messages": conversation.messages}
        extra = dict(self.extra_body)
        if conversation.mode == "json":
            kwargs["response_format"] = {"type": "json_schema",
                                         "json_schema": {"name": "segment_answer", "strict": True,
                                                         "schema": ENVELOPE_SCHEMA}}
        elif conversation.mode == "llguidance":
            extra["grammar"] = "%llguidance {}\n" + one_line(conversation.grammar)
        if extra:
            kwargs["extra_body"] = extra
        response = self.client.chat.completions.create(**kwargs)
        if not isinstance(response, ChatCompletion):  # the client hands back non-JSON bodies as text
            return _Answer(problem=_NOT_API)
        if response.usage:
            usage.prompt_tokens += response.usage.prompt_tokens or 0
            usage.completion_tokens += response.usage.completion_tokens or 0
        choices = getattr(response, "choices", None) or []
        message = choices[0].message if choices else None
        if message is None:
            return _Answer(problem="the endpoint's reply had no message")
        content = message.content
        conversation.messages.append({"role": "assistant", "content": content or ""})
        if conversation.mode == "json":
            return parse_json_answer(content)
        return parse_text_answer(content)

    def _ask_responses(self, conversation: "_Conversation", usage: Usage) -> _Answer:
        tools = [
            {"type": "custom", "name": TOOL_NAME,
             "description": "Emit the segment definition in the segment language (the only way to answer "
                            "with a segment).",
             "format": {"type": "grammar", "syntax": "lark", "definition": conversation.grammar}},
            _QUESTION_TOOL,
            _REFUSE_TOOL,
        ]
        kwargs: dict = {"model": self.config.model, "instructions": conversation.messages[0]["content"],
                        "input": conversation.messages[1:], "tools": tools, "tool_choice": "required",
                        "parallel_tool_calls": False}
        if self.extra_body:
            kwargs["extra_body"] = self.extra_body
        response = self.client.responses.create(**kwargs)
        if not isinstance(response, Response):
            return _Answer(problem=_NOT_API)
        if response.usage:
            usage.prompt_tokens += response.usage.input_tokens or 0
            usage.completion_tokens += response.usage.output_tokens or 0
        notes = parse_text_answer(response.output_text) if response.output_text else _Answer()
        for item in response.output or []:
            if item.type == "custom_tool_call" and item.name == TOOL_NAME:
                conversation.messages.append({"type": "custom_tool_call", "call_id": item.call_id,
                                              "name": item.name, "input": item.input})
                conversation.pending_call = item.call_id
                answer = _Answer(dsl=item.input.strip() or None, assumptions=notes.assumptions,
                                 open_points=notes.open_points)
                if not answer.dsl:
                    answer.problem = "the tool input was empty"
                return answer
            if item.type == "function_call" and item.name in (_QUESTION_TOOL["name"], _REFUSE_TOOL["name"]):
                try:
                    args = json.loads(item.arguments)
                except json.JSONDecodeError:
                    args = {}
                text = str(args.get("question") or args.get("reason") or "").strip()
                if text:
                    key = "question" if item.name == _QUESTION_TOOL["name"] else "refusal"
                    return _Answer(assumptions=notes.assumptions, **{key: text})
        # No usable tool call: read any text as a text-protocol answer (servers without custom tools).
        if response.output_text:
            conversation.messages.append({"role": "assistant", "content": response.output_text})
            return notes
        return _Answer(problem=f"the reply called no tool; call {TOOL_NAME} with the segment definition")


@dataclass
class _Conversation:
    """The messages so far (chat messages, or Responses input items in grammar mode)."""

    mode: str
    messages: list[dict]
    grammar: str | None = None
    pending_call: str | None = None  # call_id of the custom tool call whose result is owed

    def add_feedback(self, problem: str) -> None:
        text = (f"That definition is not valid:\n{problem}\nAnswer again with the whole corrected definition, "
                f"using only names from the catalog.")
        if self.pending_call:
            self.messages.append({"type": "custom_tool_call_output", "call_id": self.pending_call, "output": text})
            self.pending_call = None
        else:
            self.messages.append({"role": "user", "content": text})


def _message(err: openai.APIStatusError) -> str:
    body = err.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return err.message
