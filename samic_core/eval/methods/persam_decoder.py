"""SAM's mask decoder with PerSAM's two optional guidance terms, using the model's own weights.

Same computation as segment_anything's MaskDecoder + TwoWayTransformer, plus:
  target-guided attention: in the token->image cross-attention of both two-way blocks, the
    softmaxed attention gets `attn_sim` (1, 1, 1, h*w) added and is softmaxed again;
  target-semantic prompting: the target embedding t (1, 1, 256) is added to the tokens before
    each block and to the queries of the final token->image attention. PerSAM adds it in place
    to the prompt-token tensor that is also the query positional encoding, so that encoding
    carries t as well; this is reproduced here (query_pe = tokens + t).
With both terms None the result equals SamEngine.decode (tests check this).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from segment_anything.modeling import Sam
from segment_anything.modeling.transformer import Attention, TwoWayAttentionBlock, TwoWayTransformer
from segment_anything.utils.transforms import ResizeLongestSide
from torch import Tensor

from samic_core.sam.types import ImageEmbedding, MaskResult


def _attention(mod: Attention, q: Tensor, k: Tensor, v: Tensor, bias: Tensor | None) -> Tensor:
    """segment_anything Attention.forward, with PerSAM's extra (add bias, softmax again)."""
    q = mod._separate_heads(mod.q_proj(q), mod.num_heads)  # (B, heads, Nq, c)
    k = mod._separate_heads(mod.k_proj(k), mod.num_heads)  # (B, heads, Nk, c)
    v = mod._separate_heads(mod.v_proj(v), mod.num_heads)
    attn = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    if bias is not None:
        attn = torch.softmax(attn + bias, dim=-1)  # bias (1, 1, 1, Nk) broadcasts
    return mod.out_proj(mod._recombine_heads(attn @ v))


def _block(
    layer: TwoWayAttentionBlock,
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
    tr: TwoWayTransformer,
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
    sam: Sam,
    emb: ImageEmbedding,
    points: np.ndarray,
    labels: np.ndarray,
    attn_sim: Tensor | None = None,
    target_embedding: Tensor | None = None,
    multimask: bool = False,
) -> MaskResult:
    """One decode of (N, 2) xy points with optional PerSAM guidance; best output by score."""
    device = emb.features.device
    transform = ResizeLongestSide(sam.image_encoder.img_size)
    coords = transform.apply_coords(np.asarray(points, np.float64), emb.original_size)
    coords_t = torch.as_tensor(coords, dtype=torch.float, device=device)[None]  # (1, N, 2)
    labels_t = torch.as_tensor(labels, dtype=torch.int, device=device)[None]  # (1, N)
    sparse, dense = sam.prompt_encoder(points=(coords_t, labels_t), boxes=None, masks=None)
    dec = sam.mask_decoder
    output_tokens = torch.cat([dec.iou_token.weight, dec.mask_tokens.weight], 0)[None]
    tokens = torch.cat([output_tokens.expand(sparse.shape[0], -1, -1), sparse], 1)  # (1, T, C)
    src = emb.features + dense  # (1, C, h, w)
    b, c, h, w = src.shape
    image_pe = sam.prompt_encoder.get_dense_pe()
    if attn_sim is not None:
        attn_sim = attn_sim.to(device)
    if target_embedding is not None:
        target_embedding = target_embedding.to(device)
    hs, src = _transformer(dec.transformer, src, image_pe, tokens, attn_sim, target_embedding)
    mask_tokens = hs[:, 1 : 1 + dec.num_mask_tokens]  # (1, 4, C)
    upscaled = dec.output_upscaling(src.transpose(1, 2).reshape(b, c, h, w))  # (1, C/8, 4h, 4w)
    hyper = torch.stack(
        [mlp(mask_tokens[:, i]) for i, mlp in enumerate(dec.output_hypernetworks_mlps)], 1
    )  # (1, 4, C/8)
    bu, cu, hu, wu = upscaled.shape
    low_res = (hyper @ upscaled.reshape(bu, cu, hu * wu)).reshape(bu, -1, hu, wu)  # (1, 4, .., ..)
    iou = dec.iou_prediction_head(hs[:, 0])  # (1, 4)
    keep = slice(1, None) if multimask else slice(0, 1)
    low_res, iou = low_res[:, keep], iou[:, keep]
    scores = iou[0].float().cpu().numpy()
    index = int(np.argmax(scores))
    chosen = low_res[:, index : index + 1]  # (1, 1, 256, 256)
    full = sam.postprocess_masks(chosen, emb.input_size, emb.original_size)
    return MaskResult(
        mask=(full[0, 0] > sam.mask_threshold).cpu().numpy(),
        score=float(scores[index]),
        low_res_logits=chosen[0].float().cpu().numpy(),
        candidate=index if multimask else None,
        candidate_scores=scores,
    )
