"""The embedded model's text conditioning: captions to MiniLM token states, as PRXPipeline makes them.

All-MiniLM-L6-v2 token-level states, tokenised exactly like `PRXPipeline._tokenize_prompts`
(clean_text, at most 64 tokens), cached per caption for training.
"""

from __future__ import annotations

import re

import torch
import torch.nn.functional as F

from render.tiny_prx.devices import to_device
from render.tiny_prx.load import TEXT_DIM, TOKENIZER_MAX_LENGTH, load_text_encoder

# Captions the world writes: lowercase words, single spaces, commas. For these the pipeline's
# clean_text changes nothing and BERT's tokenizer splits at spaces and commas, so their token
# ids are the concatenation of per-word ids (tests/test_train.py checks both on many captions).
_WORLD_CAPTION = re.compile(r"(?:[a-z]+(?:,? [a-z]+)*)?")
_WORLD_PIECE = re.compile(r"[a-z]+|,")


class TextConditioner:
    """Token-level MiniLM embeddings with the PRXPipeline tokenisation, cached per caption.

    World captions are tokenised from a per-word cache; anything else goes through the
    pipeline's clean_text and the tokenizer. Embeddings of captions seen before come from a
    table on the device (one gather per batch); new ones are encoded together. The result is
    trimmed to the batch's longest caption: the transformer reads text only as masked keys and
    values, so padding to the pipeline's 64 tokens would change nothing but the cost. Nothing
    here waits for the device."""

    ROW = 32  # tokens per cached row; world captions have at most 26

    def __init__(self, device, max_cache: int = 200_000, amp: bool = False):
        from diffusers.pipelines.prx.pipeline_prx import TextPreprocessor

        self.device = torch.device(device)
        self.encoder, self.tokenizer = load_text_encoder(device, torch.float32)
        self.clean = TextPreprocessor().clean_text
        self.max_length = TOKENIZER_MAX_LENGTH
        self.max_cache = max_cache
        # bfloat16 autocast for new captions (training on a CPU that computes it natively): about twice as
        # fast; the states differ from float32's by far less than the transformer's own bfloat16 noise
        self.amp = amp
        self.slots: dict[str, int] = {}  # caption -> row of self.table
        self.table = torch.zeros(0, self.ROW, TEXT_DIM, dtype=torch.float16, device=self.device)
        self._word_ids: dict[str, list[int]] = {}

    def token_ids(self, caption: str) -> list[int]:
        """The ids PRXPipeline's tokenisation gives (without padding)."""
        if _WORLD_CAPTION.fullmatch(caption):
            ids = [self.tokenizer.cls_token_id]
            for piece in _WORLD_PIECE.findall(caption):
                if piece not in self._word_ids:
                    self._word_ids[piece] = self.tokenizer(piece, add_special_tokens=False)["input_ids"]
                ids += self._word_ids[piece]
            if len(ids) < self.max_length:
                return [*ids, self.tokenizer.sep_token_id]
        return self.tokenizer(self.clean(caption), truncation=True, max_length=self.max_length)["input_ids"]

    def _padded(self, rows: list[list[int]], length: int) -> tuple[torch.Tensor, torch.Tensor]:
        ids = torch.full((len(rows), length), self.tokenizer.pad_token_id, dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.tensor(r)
        lens = torch.tensor([len(r) for r in rows])
        return ids, torch.arange(length)[None] < lens[:, None]

    @torch.no_grad()
    def _encode(self, rows: list[list[int]]) -> torch.Tensor:
        """float16 [n, longest, 384] on the device, zero beyond each caption's length."""
        ids, mask = self._padded(rows, max(len(r) for r in rows))
        ids, mask = to_device(ids, self.device), to_device(mask, self.device)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp):
            hs = self.encoder(input_ids=ids, attention_mask=mask.long())["last_hidden_state"].float()
        return (hs * mask[..., None]).to(torch.float16)

    def _index(self, rows: list[int]) -> torch.Tensor:
        return to_device(torch.tensor(rows, dtype=torch.long), self.device)

    def _store(self, captions: list[str], emb: torch.Tensor) -> None:
        first, n = len(self.slots), len(captions)
        if first + n > self.table.shape[0]:  # grow by doubling, up to max_cache rows
            rows = min(self.max_cache, max(first + n, 2 * self.table.shape[0], 4096))
            grown = torch.zeros(rows, self.ROW, TEXT_DIM, dtype=torch.float16, device=self.device)
            grown[: self.table.shape[0]] = self.table
            self.table = grown
        self.table[first : first + n, : emb.shape[1]] = emb
        self.slots.update({c: first + i for i, c in enumerate(captions)})

    def __call__(self, captions: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """(embeddings float32 [B, L, 384], mask bool [B, L]), L = the longest caption's tokens."""
        ids = {c: self.token_ids(c) for c in dict.fromkeys(captions)}
        length = max(len(r) for r in ids.values())

        def fit(t: torch.Tensor) -> torch.Tensor:
            return F.pad(t, (0, 0, 0, length - t.shape[1])) if t.shape[1] < length else t[:, :length]

        # one row per distinct caption: those seen before from the table, new ones encoded now
        cached = [c for c in ids if c in self.slots]
        new = [c for c in ids if c not in self.slots]
        parts = []
        if cached:
            parts.append(fit(self.table.index_select(0, self._index([self.slots[c] for c in cached]))))
        if new:
            fresh = self._encode([ids[c] for c in new])
            room = max(0, self.max_cache - len(self.slots))
            keep = [i for i, c in enumerate(new) if len(ids[c]) <= self.ROW][:room]
            if keep:
                self._store([new[i] for i in keep], fresh.index_select(0, self._index(keep))[:, : self.ROW])
            parts.append(fit(fresh))
        row = {c: i for i, c in enumerate(cached + new)}
        emb = torch.cat(parts).index_select(0, self._index([row[c] for c in captions])).float()
        _, mask = self._padded([ids[c] for c in captions], length)
        return emb, to_device(mask, self.device)
