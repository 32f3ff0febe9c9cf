"""The live anchor for bench/device.sh: torchvision's EfficientNet-B0 in eager PyTorch, fp32 with
TF32 off, channels_last, 19 classes with BCE-with-logits and Adam like ours, timed after warm-up
in the same command as our model bench. A peer, never run time.

    python3 bench/peer-torch.py --shapes=b16x128,b8x224,b64x224 --steps=5
"""
import argparse, re, statistics, time

import torch
import torchvision


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", default="b16x128,b8x224,b64x224")
    ap.add_argument("--steps", type=int, default=5)
    a = ap.parse_args()
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    print(f"device {torch.cuda.get_device_name(0) if dev == 'cuda' else 'cpu'}, torch {torch.__version__}, fp32, TF32 off, channels_last")
    print("| pass | batch | input | ms/step | min/median/max ms | images/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for s in a.shapes.split(","):
        m = re.fullmatch(r"b(\d+)x(\d+)", s.strip())
        if not m:
            raise SystemExit(f"peer-torch: --shapes entry '{s}' is not bNxS")
        b, size = int(m.group(1)), int(m.group(2))
        model = torchvision.models.efficientnet_b0(num_classes=19).to(dev).to(memory_format=torch.channels_last)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = torch.randn(b, 3, size, size, device=dev).to(memory_format=torch.channels_last)
        y = (torch.rand(b, 19, device=dev) < 0.2).float()
        loss_fn = torch.nn.BCEWithLogitsLoss()

        def train() -> None:
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x), y).backward()
            opt.step()

        def infer() -> None:
            with torch.no_grad():
                model(x)

        for name, fn, mode in (("train step (fwd+bwd+Adam)", train, model.train), ("eval forward", infer, model.eval)):
            mode()
            for _ in range(3):
                fn()
            if dev == "cuda":
                torch.cuda.synchronize()
            ms = []
            for _ in range(a.steps):
                t0 = time.perf_counter()
                fn()
                if dev == "cuda":
                    torch.cuda.synchronize()
                ms.append((time.perf_counter() - t0) * 1000)
            mean = sum(ms) / len(ms)
            print(f"| {name} | {b} | {size}x{size}x3 | {mean:.1f} | {min(ms):.1f} / {statistics.median(ms):.1f} / {max(ms):.1f} | {b * 1000 / mean:.1f} |", flush=True)


if __name__ == "__main__":
    main()
