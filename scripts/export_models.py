#!/usr/bin/env python3
"""Export the reference models used by glassbox tests and benchmarks.

Run with the torch venv (see scripts/setup-torch.sh):

    .venv-torch/bin/python scripts/export_models.py

Writes:
  work/models/resnet18.onnx              (not committed; work/ is gitignored)
  fixtures/models/shufflenet_v2_x0_5.onnx
  fixtures/models/unet_small.onnx
"""
import os
import sys

import torch
import torch.nn as nn
import torchvision

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class DoubleConv(nn.Sequential):
    """Conv3x3-BN-ReLU-Conv3x3-BN-ReLU."""

    def __init__(self, cin, cout):
        super().__init__(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )


class Up(nn.Module):
    """ConvTranspose2d(stride 2) upsampling, concat with the skip, DoubleConv."""

    def __init__(self, cin, cout):
        super().__init__()
        self.up = nn.ConvTranspose2d(cin, cout, kernel_size=2, stride=2)
        self.conv = DoubleConv(2 * cout, cout)

    def forward(self, x, skip):
        x = self.up(x)
        x = torch.cat([skip, x], dim=1)
        return self.conv(x)


class UNetSmall(nn.Module):
    """Small clean U-Net: 1x1x64x64 -> 1x1x64x64 probabilities.

    Encoder 8, 16, 32 channels, bottleneck 64; every encoder level feeds exactly one skip.
    """

    def __init__(self, in_ch=1, out_ch=1, widths=(8, 16, 32), bottleneck=64):
        super().__init__()
        w1, w2, w3 = widths
        self.enc1 = DoubleConv(in_ch, w1)
        self.enc2 = DoubleConv(w1, w2)
        self.enc3 = DoubleConv(w2, w3)
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = DoubleConv(w3, bottleneck)
        self.up3 = Up(bottleneck, w3)
        self.up2 = Up(w3, w2)
        self.up1 = Up(w2, w1)
        self.head = nn.Conv2d(w1, out_ch, kernel_size=1)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        e1 = self.enc1(x)               # 8  x 64 x 64
        e2 = self.enc2(self.pool(e1))   # 16 x 32 x 32
        e3 = self.enc3(self.pool(e2))   # 32 x 16 x 16
        b = self.bottleneck(self.pool(e3))  # 64 x 8 x 8
        d3 = self.up3(b, e3)            # 32 x 16 x 16
        d2 = self.up2(d3, e2)           # 16 x 32 x 32
        d1 = self.up1(d2, e1)           # 8  x 64 x 64
        return self.sigmoid(self.head(d1))


def export(model, shape, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    model.eval()
    x = torch.randn(*shape)
    with torch.no_grad():
        torch.onnx.export(
            model,
            x,
            path,
            dynamo=False,
            opset_version=17,
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        )
    import onnx

    m = onnx.load(path)
    onnx.checker.check_model(m)
    print(f"{os.path.relpath(path, REPO)}: {os.path.getsize(path)} bytes, "
          f"{len(m.graph.node)} nodes")


def main():
    torch.manual_seed(0)
    export(torchvision.models.resnet18(weights=None), (1, 3, 224, 224),
           os.path.join(REPO, "work", "models", "resnet18.onnx"))
    torch.manual_seed(0)
    export(torchvision.models.shufflenet_v2_x0_5(weights=None), (1, 3, 224, 224),
           os.path.join(REPO, "fixtures", "models", "shufflenet_v2_x0_5.onnx"))
    torch.manual_seed(0)
    export(UNetSmall(), (1, 1, 64, 64),
           os.path.join(REPO, "fixtures", "models", "unet_small.onnx"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
