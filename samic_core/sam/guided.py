"""A mask decoder with PerSAM's two optional guidance terms, on the model's own weights.

Same computation as segment_anything's (and sam2's) MaskDecoder + TwoWayTransformer, plus:
  target-guided attention: in the token->image cross-attention of both two-way blocks, the
    softmaxed attention gets `attn_sim` (1, 1, 1, h*w) added and is softmaxed again;
  target-semantic prompting: the target embedding t (1, 1, 256) is added to the tokens before
    each block and to the queries of the final token->image attention. PerSAM adds it in place
    to the prompt-token tensor that is also the query positional encoding, so that encoding
    carries t as well; this is reproduced here (query_pe = tokens + t).
With both terms None the result equals the engine's `decode` (tests check this for SAM 1 and
SAM 2.1). The engines hand their decoder's parts in a `GuidedParts` (SAM 2.1 adds its object
score token in front and its high-resolution maps to the upscaling).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from samic_core.sam.types import ImageEmbedding


@dataclass
class GuidedParts:
    """What guided_decode needs of an engine's prompt encoder and mask decoder.

    prefix: the output-token weights in the decoder's order, the IoU token at `iou_index`
    and the mask tokens right after it; upscale(src (1, C, h, w), emb) -> (1, C', 4h, 4w)."""

    prompt_encoder: Any
    transformer: Any
    prefix: Sequence[Tensor]
    upscale: Callable[[Tensor, ImageEmbedding], Tensor]
    hypernetworks: Any  # nn.ModuleList of MLPs
    iou_head: Any
    iou_index: int = 0


def _attention(mod: Any, q: Tensor, k: Tensor, v: Tensor, bias: Tensor | None) -> Tensor:
    """segment_anything Attention.forward, with PerSAM's extra (add bias, softmax again)."""
    q = mod._separate_heads(mod.q_proj(q), mod.num_heads)  # (B, heads, Nq, c)
    k = mod._separate_heads(mod.k_proj(k), mod.num_heads)  # (B, heads, Nk, c)
    v = mod._separate_heads(mod.v_proj(v), mod.num_heads)
    attn = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    if bias is not None:
        attn = torch.softmax(attn + bias, dim=-1)  # bias (1, 1, 1, Nk) broadcasts
    return mod.out_proj(mod._recombine_heads(attn @ v))


def _block(
    layer: Any,
    queries: Tensor,
    keys: Tensor,
    query_pe: Tensor,
    key_pe: Tensor,
    bias: Tensor | None,
) -> tuple[Tensor, Tensor]:
    if layer.skip_first_layer_pe:
        queries = layer.self_attn(q=queries, k=queries, v=queries)
    else:
        q = queries + query_pe
        queries = queries + layer.self_attn(q=q, k=q, v=queries)
    queries = layer.norm1(queries)
    attn_out = _attention(
        layer.cross_attn_token_to_image, queries + query_pe, keys + key_pe, keys, bias
    )
    queries = layer.norm2(queries + attn_out)
    queries = layer.norm3(queries + layer.mlp(queries))
    q, k = queries + query_pe, keys + key_pe
    keys = layer.norm4(keys + layer.cross_attn_image_to_token(q=k, k=q, v=queries))
    return queries, keys


def _transformer(
    tr: Any,
    image_embedding: Tensor,
    image_pe: Tensor,
    tokens: Tensor,
    bias: Tensor | None,
    target: Tensor | None,
) -> tuple[Tensor, Tensor]:
    keys = image_embedding.flatten(2).permute(0, 2, 1)  # (B, h*w, C)
    key_pe = image_pe.flatten(2).permute(0, 2, 1)
    query_pe = tokens if target is None else tokens + target
    queries = tokens
    for layer in tr.layers:
        if target is not None:
            queries = queries + target
        queries, keys = _block(layer, queries, keys, query_pe, key_pe, bias)
    q = queries + query_pe
    if target is not None:
        q = q + target
    attn_out = tr.final_attn_token_to_image(q=q, k=keys + key_pe, v=keys)
    return tr.norm_final_attn(queries + attn_out), keys


@torch.no_grad()
def guided_decode(
    parts: GuidedParts,
    emb: ImageEmbedding,
    points: tuple[Tensor, Tensor],
    attn_sim: Tensor | None = None,
    target_embedding: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Every output of one guided decode: (1, M, 256, 256) low-res logits and (1, M) predicted
    IoU, M = the mask tokens (output 0 the single-mask one, 1.. the multimask ones).

    points: coords (1, N, 2) in the engine's input frame and labels (1, N)."""
    device = emb.features.device
    sparse, dense = parts.prompt_encoder(points=points, boxes=None, masks=None)
    output_tokens = torch.cat(list(parts.prefix), 0)[None]
    tokens = torch.cat([output_tokens.expand(sparse.shape[0], -1, -1), sparse], 1)  # (1, T, C)
    src = emb.features + dense  # (1, C, h, w)
    b, c, h, w = src.shape
    image_pe = parts.prompt_encoder.get_dense_pe()
    if attn_sim is not None:
        attn_sim = attn_sim.to(device)
    if target_embedding is not None:
        target_embedding = target_embedding.to(device)
    hs, src = _transformer(parts.transformer, src, image_pe, tokens, attn_sim, target_embedding)
    first = parts.iou_index + 1
    mask_tokens = hs[:, first : first + len(parts.hypernetworks)]  # (1, 4, C)
    upscaled = parts.upscale(src.transpose(1, 2).reshape(b, c, h, w), emb)  # (1, C/8, 4h, 4w)
    hyper = torch.stack(
        [mlp(mask_tokens[:, i]) for i, mlp in enumerate(parts.hypernetworks)], 1
    )  # (1, 4, C/8)
    bu, cu, hu, wu = upscaled.shape
    low_res = (hyper @ upscaled.reshape(bu, cu, hu * wu)).reshape(bu, -1, hu, wu)  # (1, 4, .., ..)
    return low_res, parts.iou_head(hs[:, parts.iou_index])  # (1, 4)


def at_least_centre(
    covered: Tensor, mask: np.ndarray, input_size: tuple[int, int], size: int
) -> Tensor:
    """`covered` (h, w), or for an object too small to survive the resize, its centre's cell.

    input_size: (h, w) the image has in the encoder's `size` x `size` input."""
    if covered.any():
        return covered
    ys, xs = np.nonzero(mask)
    gh, gw = covered.shape
    row = min(gh - 1, int((ys.mean() + 0.5) * input_size[0] / mask.shape[0] * gh / size))
    col = min(gw - 1, int((xs.mean() + 0.5) * input_size[1] / mask.shape[1] * gw / size))
    covered[row, col] = True
    return covered
