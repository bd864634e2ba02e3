"""Several networks on the same input, as one network: their class probabilities averaged."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class ProbabilityAverage(nn.Module):
    """Returns log of the members' mean softmax, so ``softmax(output)`` is exactly that mean and the
    module drops in wherever logits are expected (prediction, ONNX export, model files).

    AudioSet tags, when asked for, come from the first member (put the frozen-backbone one first:
    fine-tuning moves a backbone away from its AudioSet head).
    """

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        if len(members) < 2:
            raise ValueError("an ensemble needs at least two members")
        self.members = nn.ModuleList(members)
        if hasattr(members[0], "audioset_logits"):
            self.audioset_logits = members[0].audioset_logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._average([member(x) for member in self.members])

    def forward_with_embedding(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(output, the first member's embedding), computed in the same pass."""
        first, embedding = self.members[0].forward_with_embedding(x)
        return self._average([first] + [member(x) for member in self.members[1:]]), embedding

    @staticmethod
    def _average(logits: list[torch.Tensor]) -> torch.Tensor:
        mean = torch.stack([z.softmax(dim=1) for z in logits]).mean(dim=0)
        return mean.clamp_min(torch.finfo(mean.dtype).tiny).log()
