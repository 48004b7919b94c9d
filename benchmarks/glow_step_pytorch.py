#!/usr/bin/python3
"""benchmarks/glow_step_pytorch.py — the reference side of benchmarks/glow_step: the same Glow
training step written in PyTorch, so the two can be timed in the same run on the same machine.

    sudo apt-get install python3-torch                # Debian's PyTorch 1.13; never at build or test time
    /usr/bin/python3 benchmarks/glow_step_pytorch.py [THREADS] [STEPS]    # default: 2 threads, 20 steps

Architecture (as benchmarks/glow_step): batch 64 of 1x28x28 float images; 2 levels of 8 steps,
each step ActNorm, an LU-parameterized 1x1 convolution and an affine coupling on the channel
halves whose conditioner is conv3x3 -> ReLU -> conv1x1 -> ReLU -> conv3x3 of width 128, with the
bounded log-scale s = 2 tanh(s_raw / 2); the first level's factored-out half under a learned
prior N(mu(h), sigma(h)^2) given the kept half, computed by the same conditioner; the top under a
learned per-channel Gaussian. A step is: zero the gradients, the batch's mean NLL, its gradient,
Adam. Prints the median and fastest of STEPS steps after 3 warm-up steps.
"""
import math
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

BOUND = 2.0


def squeeze(x):
    """Space to depth: each 2x2 block of pixels becomes 4 channels."""
    b, c, h, w = x.shape
    return x.view(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(b, 4 * c, h // 2, w // 2)


def gaussian_log_prob(z, mean, log_scale):
    standardized = (z - mean) * torch.exp(-log_scale)
    return (-0.5 * standardized**2 - log_scale - 0.5 * math.log(2 * math.pi)).flatten(1).sum(1)


def conditioner(c_in, c_out, width=128):
    last = nn.Conv2d(width, c_out, 3, padding=1)
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    return nn.Sequential(nn.Conv2d(c_in, width, 3, padding=1), nn.ReLU(), nn.Conv2d(width, width, 1), nn.ReLU(), last)


class ActNorm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.shift = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.log_scale = nn.Parameter(torch.zeros(1, c, 1, 1))

    def forward(self, x):
        return (x + self.shift) * torch.exp(self.log_scale), self.log_scale.sum() * x.shape[2] * x.shape[3]


class LUConv1x1(nn.Module):
    def __init__(self, c):
        super().__init__()
        p, lower, upper = torch.linalg.lu(torch.linalg.qr(torch.randn(c, c))[0])
        self.register_buffer("p", p)
        self.register_buffer("sign", torch.sign(torch.diag(upper)))
        self.register_buffer("strict_lower", torch.tril(torch.ones(c, c), -1))
        self.register_buffer("eye", torch.eye(c))
        self.lower = nn.Parameter(lower)
        self.upper = nn.Parameter(torch.triu(upper, 1))
        self.log_diagonal = nn.Parameter(torch.log(torch.abs(torch.diag(upper))))

    def forward(self, x):
        lower = self.lower * self.strict_lower + self.eye
        upper = self.upper * self.strict_lower.T + torch.diag(self.sign * torch.exp(self.log_diagonal))
        weight = (self.p @ lower @ upper)[:, :, None, None]
        return F.conv2d(x, weight), self.log_diagonal.sum() * x.shape[2] * x.shape[3]


class AffineCoupling(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.net = conditioner(c // 2, c)

    def forward(self, x):
        kept, changed = x.chunk(2, 1)
        raw_log_scale, shift = self.net(kept).chunk(2, 1)
        log_scale = BOUND * torch.tanh(raw_log_scale / BOUND)
        return torch.cat([kept, changed * torch.exp(log_scale) + shift], 1), log_scale.flatten(1).sum(1)


class Glow(nn.Module):
    def __init__(self, levels=2, steps=8):
        super().__init__()
        self.levels = nn.ModuleList()
        self.priors = nn.ModuleList()
        c = 1
        for level in range(levels):
            c *= 4
            layers = (m for _ in range(steps) for m in (ActNorm(c), LUConv1x1(c), AffineCoupling(c)))
            self.levels.append(nn.ModuleList(layers))
            if level + 1 < levels:
                self.priors.append(conditioner(c // 2, c))
                c //= 2
        self.top = ActNorm(c)

    def nll(self, x):
        log_p = torch.zeros(x.shape[0])
        for level, layers in enumerate(self.levels):
            x = squeeze(x)
            for layer in layers:
                x, log_det = layer(x)
                log_p = log_p + log_det
            if level < len(self.priors):
                x, factored = x.chunk(2, 1)
                mean, log_scale = self.priors[level](x).chunk(2, 1)
                log_p = log_p + gaussian_log_prob(factored, mean, log_scale)
        z, log_det = self.top(x)
        return -(log_p + log_det + gaussian_log_prob(z, 0.0, torch.zeros(()))).mean()


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = Glow()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = (torch.randn(64, 1, 28, 28).abs() * 0.3).clamp(max=0.99)  # like dequantized pixels, as glow_step

    def step():
        optimizer.zero_grad()
        loss = model.nll(x)
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    times.sort()
    print(f"pytorch {torch.__version__} glow step, {threads} threads, batch 64: "
          f"median {1e3 * times[len(times) // 2]:.1f} ms, fastest {1e3 * times[0]:.1f} ms")


if __name__ == "__main__":
    main()
