"""The answering pipeline as one LangChain runnable, for use with LangChain tooling.

``build_answer_chain(service).invoke({"question": …, "history": [...], "filters": …})`` runs the
same steps as ``AssistantService.ask`` (rewrite → retrieve → answer) as composed
``langchain_core`` runnables, so it can be traced, batched or embedded in a larger chain.
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from assistant.core.models import Answer, Turn


def build_answer_chain(service) -> Runnable[dict[str, Any], Answer]:
    def standalone(inputs: dict[str, Any]) -> str:
        question = service.check_question(inputs["question"])
        history = [Turn.model_validate(t) for t in inputs.get("history") or []]
        return service.standalone_question(question, history)

    def retrieve(inputs: dict[str, Any]):
        return service.retriever.retrieve(
            inputs["standalone"], inputs.get("filters"), inputs.get("top_k")
        )

    def answer(inputs: dict[str, Any]) -> Answer:
        history = [Turn.model_validate(t) for t in inputs.get("history") or []]
        question = inputs["question"].strip()
        items = service.answer_items(question, inputs["standalone"], inputs["retrieval"], history)
        result = [item for item in items if isinstance(item, Answer)][-1]
        if inputs["standalone"] != question:
            result.rewritten_question = inputs["standalone"]
        return result

    return (
        RunnablePassthrough.assign(standalone=RunnableLambda(standalone))
        | RunnablePassthrough.assign(retrieval=RunnableLambda(retrieve))
        | RunnableLambda(answer)
    ).with_config(run_name="strategy_assistant_answer")
