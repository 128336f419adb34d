"""One training step of the video-dit model in PyTorch, for bench/train-step.bench.mjs.

The same model as src/model (tubelet patchify, sinusoidal timestep MLP, adaLN-Zero blocks with
3D-RoPE multi-head attention and a GELU MLP, final adaLN, the optional GELU head MLP and linear,
x prediction turned into velocity), the same batch shape and the same step (flow-matching loss,
backward, global-norm clipping, AdamW, EMA). "device": "cuda" in the spec runs it on the GPU. Reads one JSON object
from argv[1] (or from the file named by argv[1] = @FILE): the model config, batch size, step counts and the RoPE cos/sin table computed by
@flowdit/rope3d, and optionally torch's intra-op thread count. Prints one JSON line with the timing
and the BLAS library that was loaded.
"""

import json
import math
import sys
import time

import torch
import torch.nn.functional as F


def main() -> None:
    # argv[1] is the spec itself, or @FILE holding it (a large preset's RoPE table is too long for argv)
    arg = sys.argv[1]
    spec = json.loads(open(arg[1:]).read() if arg.startswith("@") else arg)
    if "threads" in spec:
        torch.set_num_threads(spec["threads"])
    dev = torch.device(spec.get("device", "cpu"))
    cfg = spec["model"]
    batch = spec["batchSize"]
    torch.manual_seed(0)
    pt, ph, pw = cfg["patch"]
    T, H, W, C = cfg["frames"], cfg["height"], cfg["width"], cfg["channels"]
    gt, gh, gw = T // pt, H // ph, W // pw
    S = gt * gh * gw
    D = cfg["hidden"]
    heads = cfg["heads"]
    dh = D // heads
    P = pt * ph * pw * C
    M = round(D * cfg["mlpRatio"])
    F_t = cfg["timeFeatures"]
    head_hidden = cfg["headHidden"]
    cos = torch.tensor(spec["ropeCos"], dtype=torch.float32, device=dev).view(1, S, 1, dh)
    sin = torch.tensor(spec["ropeSin"], dtype=torch.float32, device=dev).view(1, S, 1, dh)

    def linear(i: int, o: int) -> torch.nn.Linear:
        return torch.nn.Linear(i, o)

    mods = torch.nn.ModuleDict(
        {
            "patch_in": linear(P, D),
            "time1": linear(F_t, D),
            "time2": linear(D, D),
            "final_mod": linear(D, 2 * D),
            **({"final_fc": linear(D, head_hidden)} if head_hidden > 0 else {}),
            "final_out": linear(head_hidden if head_hidden > 0 else D, P),
        }
    ).to(dev)
    blocks = torch.nn.ModuleList(
        torch.nn.ModuleDict(
            {"mod": linear(D, 6 * D), "qkv": linear(D, 3 * D), "proj": linear(D, D), "fc1": linear(D, M), "fc2": linear(M, D)}
        )
        for _ in range(cfg["depth"])
    ).to(dev)
    params = list(mods.parameters()) + list(blocks.parameters())
    ema = [p.detach().clone() for p in params]
    opt = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01)

    def patchify(x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        x = x.view(b, gt, pt, gh, ph, gw, pw, C).permute(0, 1, 3, 5, 2, 4, 6, 7)
        return x.reshape(b, S, P)

    def unpatchify(x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        x = x.view(b, gt, gh, gw, pt, ph, pw, C).permute(0, 1, 4, 2, 5, 3, 6, 7)
        return x.reshape(b, T, H, W, C)

    def rope(x: torch.Tensor) -> torch.Tensor:
        x1, x2 = x.chunk(2, dim=-1)
        return x * cos + torch.cat([-x2, x1], dim=-1) * sin

    def layer_norm(x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, (D,), eps=1e-6)

    def modulate(x, shift, scale):
        return x * (1 + scale[:, None]) + shift[:, None]

    half = F_t // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32, device=dev) / half)

    def forward(xt: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        b = xt.shape[0]
        x = mods["patch_in"](patchify(xt))
        angles = (t * 1000)[:, None] * freqs[None]
        temb = mods["time2"](F.silu(mods["time1"](torch.cat([angles.cos(), angles.sin()], dim=1))))
        cond = F.silu(temb)
        for blk in blocks:
            sa, ca, ga, sm, cm, gm = blk["mod"](cond).chunk(6, dim=1)
            h = modulate(layer_norm(x), sa, ca)
            q, k, v = blk["qkv"](h).view(b, S, 3 * heads, dh).chunk(3, dim=2)
            q, k = rope(q), rope(k)
            q, k, v = (u.transpose(1, 2) for u in (q, k, v))
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), dim=-1) @ v
            x = x + ga[:, None] * blk["proj"](att.transpose(1, 2).reshape(b, S, D))
            h = modulate(layer_norm(x), sm, cm)
            x = x + gm[:, None] * blk["fc2"](F.gelu(blk["fc1"](h), approximate="tanh"))
        sf, cf = mods["final_mod"](cond).chunk(2, dim=1)
        head = modulate(layer_norm(x), sf, cf)
        if head_hidden > 0:
            head = F.gelu(mods["final_fc"](head), approximate="tanh")
        prediction = unpatchify(mods["final_out"](head))
        if cfg["prediction"] == "velocity":
            return prediction
        # x prediction turned into the velocity it implies, as src/model/dit.ts does
        return (prediction - xt) / (1 - t).clamp(min=0.05).view(b, 1, 1, 1, 1)

    def step() -> float:
        x1 = torch.rand(batch, T, H, W, C, device=dev) * 2 - 1
        x0 = torch.randn(batch, T, H, W, C, device=dev)
        t = torch.rand(batch, device=dev)
        tb = t.view(batch, 1, 1, 1, 1)
        xt = tb * x1 + (1 - tb) * x0
        loss = ((forward(xt, t) - (x1 - x0)) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            for e, p in zip(ema, params):
                e.mul_(0.999).add_(p, alpha=0.001)
        return loss.item()

    for _ in range(spec["warmup"]):
        step()
    started = time.perf_counter()
    for _ in range(spec["steps"]):
        step()
    seconds = (time.perf_counter() - started) / spec["steps"]

    blas = sorted(
        {line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.lower() and line.split()[-1].startswith("/")}
    )
    print(
        json.dumps(
            {
                "msPerStep": seconds * 1000,
                "threads": torch.get_num_threads(),
                "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
                "torch": torch.__version__,
                "blasLoaded": blas,
            }
        )
    )


if __name__ == "__main__":
    main()
